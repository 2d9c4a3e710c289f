#include "scenarios/steps/oauth2_cache.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace mc::scn {
namespace {

namespace fs = std::filesystem;

std::string sha256_hex(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < len; ++i) {
    s += hex[out[i] >> 4];
    s += hex[out[i] & 0x0f];
  }
  return s;
}

std::int64_t unix_seconds(Wall::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

TokenCache::TokenCache(std::string state_dir, const std::string& key) {
  if (!state_dir.empty()) path_ = state_dir + "/oauth2/" + sha256_hex(key) + ".json";
}

std::optional<std::string> TokenCache::get(Wall::time_point now) const {
  if (path_.empty()) return std::nullopt;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  const auto doc = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  // Anything unreadable is no cached token: the endpoint is asked and the file rewritten.
  if (!doc.is_object()) return std::nullopt;
  const auto token = doc.find("access_token");
  const auto until = doc.find("valid_until");
  if (token == doc.end() || !token->is_string() || until == doc.end() ||
      !until->is_number_integer())
    return std::nullopt;
  if (unix_seconds(now) >= until->get<std::int64_t>()) return std::nullopt;
  return token->get<std::string>();
}

std::optional<std::string> TokenCache::put(const std::string& token,
                                           std::optional<std::int64_t> expires_in,
                                           Wall::time_point now) const {
  if (path_.empty()) return std::nullopt;
  const std::int64_t lifetime = expires_in.value_or(kTokenDefaultLifetime.count());
  const std::int64_t kept = lifetime - kTokenMargin.count();
  std::error_code ec;
  if (kept <= 0) {
    fs::remove(path_, ec);
    return std::nullopt;
  }
  const fs::path dir = fs::path(path_).parent_path();
  fs::create_directories(dir, ec);
  if (ec) return "cannot create " + dir.string() + ": " + ec.message();
  ::chmod(dir.c_str(), 0700);
  const std::string body =
      nlohmann::json{{"access_token", token}, {"valid_until", unix_seconds(now) + kept}}.dump();
  // Created 0600 before the token is written, then renamed over the old file: never a moment
  // in which another user could read it, nor a half-written file.
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot write " + tmp;
  ::fchmod(fd, 0600);
  const bool written = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  const bool closed = ::close(fd) == 0;
  if (!written || !closed) {
    fs::remove(tmp, ec);
    return "cannot write " + tmp;
  }
  fs::rename(tmp, path_, ec);
  if (ec) return "cannot rename " + tmp + ": " + ec.message();
  return std::nullopt;
}

}  // namespace mc::scn
