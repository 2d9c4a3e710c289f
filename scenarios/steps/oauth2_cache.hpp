// Access tokens obtained from an account's OAuth 2.0 token endpoint, kept in the state directory
// until they expire (expires_in less a margin), so a run every minute does not ask the endpoint
// every minute. One file per token endpoint, client and refresh token file, mode 0600, written
// atomically; it holds the access token and when it expires, nothing else.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "codec/time.hpp"

namespace mc::scn {

// Taken off a token's lifetime: it must still be valid when the login that uses it happens,
// whatever the clocks and the step's timeout do meanwhile.
inline constexpr std::chrono::seconds kTokenMargin{60};
// A token whose endpoint named no lifetime is kept this long.
inline constexpr std::chrono::seconds kTokenDefaultLifetime{300};

class TokenCache {
 public:
  // `state_dir` "" keeps nothing. `key` names the grant (token_url, client_id, scope, refresh
  // token file); it is hashed into the file name.
  TokenCache(std::string state_dir, const std::string& key);

  // The cached token, if there is one that is still good at `now`.
  std::optional<std::string> get(Wall::time_point now) const;
  // Keeps `token` obtained at `now` for `expires_in` seconds (nullopt: kTokenDefaultLifetime)
  // less kTokenMargin; a lifetime within the margin keeps nothing. Returns an error text.
  std::optional<std::string> put(const std::string& token, std::optional<std::int64_t> expires_in,
                                 Wall::time_point now) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;  // "" without a state directory
};

}  // namespace mc::scn
