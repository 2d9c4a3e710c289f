// The OAuth 2.0 token cache in the state directory, on a fake wall clock: kept until expires_in
// less the margin, mode 0600, one file per grant, unreadable files taken for no token.
#include <stdlib.h>
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "scenarios/steps/oauth2_cache.hpp"

using mc::Wall;
using mc::scn::kTokenMargin;
using mc::scn::TokenCache;
using namespace std::chrono_literals;

namespace {

const Wall::time_point kT0 = Wall::time_point(std::chrono::seconds(1'790'000'000));

std::string temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mc-oauth-cache-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

}  // namespace

TEST_CASE("token cache: kept until expires_in less the margin", "[oauth2][cache]") {
  const std::string dir = temp_dir();
  const TokenCache cache(dir, "https://oauth2.example/token|probe|scope|/etc/refresh");
  CHECK_FALSE(cache.get(kT0));
  REQUIRE_FALSE(cache.put("ya29.Cached-Sentinel", 3600, kT0));
  CHECK(cache.get(kT0) == "ya29.Cached-Sentinel");
  CHECK(cache.get(kT0 + 3600s - kTokenMargin - 1s) == "ya29.Cached-Sentinel");
  CHECK_FALSE(cache.get(kT0 + 3600s - kTokenMargin));
  CHECK_FALSE(cache.get(kT0 + 2h));

  SECTION("the file is the owner's alone, and so is its directory") {
    struct stat st {};
    REQUIRE(::stat(cache.path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat(std::filesystem::path(cache.path()).parent_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
  }
  SECTION("another grant has a file of its own") {
    const TokenCache other(dir, "https://oauth2.example/token|other|scope|/etc/refresh");
    CHECK(other.path() != cache.path());
    CHECK_FALSE(other.get(kT0));
  }
  SECTION("a lifetime within the margin keeps nothing, and drops what was kept") {
    REQUIRE_FALSE(cache.put("short", kTokenMargin.count(), kT0));
    CHECK_FALSE(cache.get(kT0));
  }
  SECTION("no expires_in: five minutes less the margin") {
    REQUIRE_FALSE(cache.put("unsaid", std::nullopt, kT0));
    CHECK(cache.get(kT0 + 239s) == "unsaid");
    CHECK_FALSE(cache.get(kT0 + 240s));
  }
  SECTION("a corrupt file is no token") {
    std::ofstream(cache.path()) << "{\"access_token\": 5";
    CHECK_FALSE(cache.get(kT0));
  }
}

TEST_CASE("token cache: without a state directory nothing is kept", "[oauth2][cache]") {
  const TokenCache cache("", "key");
  CHECK_FALSE(cache.put("t", 3600, kT0));
  CHECK_FALSE(cache.get(kT0));
  CHECK(cache.path().empty());
}
