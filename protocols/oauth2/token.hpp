// The OAuth 2.0 token endpoint's side of obtaining an access token (RFC 6749), sans-I/O: the
// form body of a refresh_token grant (section 6) or a client_credentials grant (section 4.4),
// and the endpoint's JSON answer read into a token or an error (sections 5.1 and 5.2). The HTTP
// exchange is the caller's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mc::proto::oauth2 {

struct Grant {
  std::string client_id;
  std::string client_secret;  // "" for a public client
  std::string refresh_token;  // "": client_credentials
  std::string scope;          // "" to leave it out
};

// application/x-www-form-urlencoded, client authentication in the body (section 2.3.1).
std::string request_body(const Grant& g);

// A form value encoded as application/x-www-form-urlencoded wants it.
std::string form_encode(std::string_view value);

inline constexpr std::size_t kMaxResponseBytes = 64 * 1024;
inline constexpr std::int64_t kMaxExpiresIn = 366LL * 24 * 3600;

struct Token {
  std::string access_token;
  std::string token_type;                  // "Bearer" (compared case-insensitively)
  std::optional<std::int64_t> expires_in;  // seconds; absent: the endpoint did not say
  std::string refresh_token;               // a rotated refresh token, or ""
};

struct Response {
  std::optional<Token> token;  // set on success
  // Otherwise why not, safe to show: the endpoint's `error` code and its description (printable,
  // cut short), or what was wrong with the document. Never a token.
  std::string problem;
};

// `status` is the HTTP status; `body` the document as received.
Response parse_response(int status, std::string_view body);

}  // namespace mc::proto::oauth2
