// The OAuth 2.0 token endpoint's answer fed the fuzzer's bytes: the first byte picks the HTTP
// status, the rest is the body. Properties: an accepted token is non-empty printable ASCII of
// type Bearer with 0..kMaxExpiresIn seconds; a refusal's problem is printable and short (the
// endpoint's words cut); nothing throws.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/oauth2/token.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
namespace oauth2 = mc::proto::oauth2;

bool printable(std::string_view s) {
  for (const char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr int kStatuses[] = {200, 200, 200, 400, 401, 500};
  const int status = kStatuses[data[0] % 6];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const oauth2::Response r = oauth2::parse_response(status, body);
  if (r.token) {
    check(status == 200, "a token from a refusal", body);
    check(!r.token->access_token.empty() && printable(r.token->access_token),
          "an empty or unprintable access token", body);
    std::string type = r.token->token_type;
    for (char& c : type)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    check(type == "bearer", "not a bearer token", body);
    if (r.token->expires_in)
      check(*r.token->expires_in >= 0 && *r.token->expires_in <= oauth2::kMaxExpiresIn,
            "expires_in out of range", body);
    check(r.problem.empty(), "a problem beside a token", body);
  } else {
    check(!r.problem.empty() && printable(r.problem), "an empty or unprintable problem", body);
    // The endpoint's words are cut short: never the whole document.
    check(r.problem.size() < 500, "a problem longer than the endpoint's words cut short", body);
  }
  return 0;
}
