// End-to-end: OAuth 2.0 bearer tokens against a real Dovecot. The tier's second Dovecot
// (tests/e2e/sasl.sh) offers XOAUTH2 and OAUTHBEARER to oauth@ through its oauth2 passdb, which
// asks this test's introspection endpoint (tests/support/oauth_server.cpp, HTTPS with the tier's
// certificate) whether a token is active. The account reads its token from a file; a valid one
// logs in, any other is auth_failed; no token is in any output.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/platform.hpp"
#include "tests/support/oauth_server.hpp"

using mc::e2e::run;
using mc::e2e::url;
using mc::e2e::var;
using nlohmann::json;

namespace {

const std::string kValid = "ya29.Valid-T0ken-Sentinel-4f1c";
const std::string kBad = "ya29.Revoked-T0ken-Sentinel-77d0";
const std::string kClientId = "mailcanary-e2e";
const std::string kClientSecret = "Client-S3cret-Sentinel-a81f";
const std::string kRefresh = "1//Refresh-Sentinel-c3d2";

mc::test::OAuthServer& endpoint() {
  static mc::test::OAuthServer server(std::stoi(var("MC_OAUTH_PORT")),
                                      std::stoi(var("MC_OAUTH_TOKEN_PORT")),
                                      var("MC_DIR") + "/server.pem", var("MC_DIR") + "/server.key");
  static const bool registered = [] {
    server.add_token(kValid, var("MC_OAUTH_USER"));
    server.set_client(kClientId, kClientSecret, var("MC_OAUTH_USER"));
    server.add_refresh_token(kRefresh, var("MC_OAUTH_USER"));
    return true;
  }();
  (void)registered;
  return server;
}

std::string token_file(const std::string& token, const std::string& name = "access.token") {
  const std::string dir = mc::test::make_temp_dir("mc-oauth");
  const std::string path = dir + "/" + name;
  std::ofstream(path) << token << "\n";
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return path;
}

// smtp.send from the probe to oauth@, then imap.wait and imap.delete as oauth@ with a token.
json oauth_file(const std::string& token, const std::string& mechanism) {
  const std::string user = var("MC_OAUTH_USER");
  const json steps =
      json::array({{{"step", "smtp.send"}, {"server", "out"}, {"account", "probe"}, {"to", {user}}},
                   {{"step", "imap.wait"},
                    {"server", "sasl"},
                    {"account", "oauth"},
                    {"timeout", "30s"},
                    {"poll_interval", "200ms"}},
                   {{"step", "imap.delete"}}});
  json f = mc::e2e::scenario_file(steps, "oauth-" + mechanism);
  f["servers"]["sasl"] = {{"url", url("imaps", "MC_SASL_IMAPS_PORT")}};
  f["accounts"]["oauth"] = {{"user", user},
                            {"password", {{"oauth2_token_file", token_file(token)}}}};
  if (!mechanism.empty()) f["accounts"]["oauth"]["mechanism"] = mechanism;
  return f;
}

}  // namespace

TEST_CASE("IMAP logs in with an OAuth 2.0 token, XOAUTH2 and OAUTHBEARER", "[e2e][oauth]") {
  mc::test::OAuthServer& server = endpoint();
  for (const std::string mechanism : {"xoauth2", "oauthbearer"}) {
    const int asked = server.introspections();
    const auto r = run(oauth_file(kValid, mechanism), {}, {"-v"});
    INFO(mechanism << "\n" << r.ran.out << r.ran.err);
    CHECK(r.ran.exit_code == 0);
    REQUIRE(r.result.is_object());
    const json& sc = r.result["scenarios"][0];
    CHECK(sc["status"] == "ok");
    std::string wire = mechanism;
    for (char& c : wire) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(sc["steps"][1]["auth_mechanism"] == wire);
    CHECK(server.introspections() > asked);  // Dovecot asked the endpoint
    CHECK(r.ran.err.find(kValid) == std::string::npos);
    CHECK(r.ran.out.find(kValid) == std::string::npos);
  }
}

TEST_CASE("a token the endpoint calls inactive is auth_failed, XOAUTH2 and OAUTHBEARER",
          "[e2e][oauth]") {
  endpoint();
  for (const std::string mechanism : {"xoauth2", "oauthbearer", ""}) {
    const auto r = run(oauth_file(kBad, mechanism), {}, {"-v"});
    INFO(mechanism << "\n" << r.ran.out << r.ran.err);
    CHECK(r.ran.exit_code == 2);
    REQUIRE(r.result.is_object());
    const json& f = r.result["scenarios"][0]["failure"];
    CHECK(f["step"] == "imap.wait");
    CHECK(f["phase"] == "login");
    CHECK(f["reason"] == "auth_failed");
    CHECK(r.ran.err.find(kBad) == std::string::npos);
    CHECK(r.ran.out.find(kBad) == std::string::npos);
  }
}

namespace {

// The same round trip with the account's "oauth2" block: the probe asks the token endpoint.
// The secret files are made once per refresh token: the cache is per refresh token file.
json grant_file(const std::string& refresh) {
  static std::map<std::string, std::pair<std::string, std::string>> files;
  if (!files.count(refresh))
    files[refresh] = {token_file(kClientSecret, "client.secret"),
                      token_file(refresh, "refresh.token")};
  json f = oauth_file(kValid, "");
  f["accounts"]["oauth"].erase("password");
  f["accounts"]["oauth"]["oauth2"] = {
      {"token_url", "https://127.0.0.1:" + var("MC_OAUTH_TOKEN_PORT") + "/token"},
      {"client_id", kClientId},
      {"client_secret_file", files[refresh].first},
      {"refresh_token_file", files[refresh].second},
      {"scope", "https://mail.example.test/imap"},
      {"ca_file", var("MC_CA")}};
  return f;
}

void no_secret_in(const mc::e2e::Run& r, const std::string& issued) {
  for (const std::string& s : {kClientSecret, kRefresh, issued}) {
    if (s.empty()) continue;
    CHECK(r.ran.err.find(s) == std::string::npos);
    CHECK(r.ran.out.find(s) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("oauth2 block: the refresh grant gives the token, cached in the state directory",
          "[e2e][oauth]") {
  mc::test::OAuthServer& server = endpoint();
  const std::string state = mc::test::make_temp_dir("mc-oauth-state");
  const int asked = server.token_requests();
  const auto first = run(grant_file(kRefresh), {}, {"-v", "--state-dir", state});
  INFO(first.ran.out << first.ran.err);
  CHECK(first.ran.exit_code == 0);
  REQUIRE(first.result.is_object());
  CHECK(first.result["scenarios"][0]["status"] == "ok");
  CHECK(first.result["scenarios"][0]["steps"][1]["auth_mechanism"] == "OAUTHBEARER");
  CHECK(server.token_requests() == asked + 1);
  no_secret_in(first, server.last_issued());
  // The cache file is the owner's alone and holds the token.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(state + "/oauth2")) {
    ++files;
    CHECK((std::filesystem::status(e).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  }
  CHECK(files == 1);

  const auto second = run(grant_file(kRefresh), {}, {"--state-dir", state});
  INFO(second.ran.out << second.ran.err);
  CHECK(second.ran.exit_code == 0);
  CHECK(server.token_requests() == asked + 1);  // the cached token, not a new one
}

TEST_CASE("oauth2 block: a refused refresh token is auth_failed before anything is sent",
          "[e2e][oauth]") {
  mc::test::OAuthServer& server = endpoint();
  const auto r = run(grant_file("1//Revoked-Refresh-Sentinel"), {}, {"-v"});
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["failure"]["reason"] == "auth_failed");
  CHECK(sc["failure"]["phase"] == "oauth2_token");
  CHECK(sc["failure"]["step"] == "imap.wait");
  CHECK(sc["failure"]["message"].get<std::string>().find("invalid_grant") != std::string::npos);
  CHECK(sc["steps"][0]["status"] == "skipped");  // no probe sent
  CHECK(r.ran.err.find("1//Revoked-Refresh-Sentinel") == std::string::npos);
  no_secret_in(r, server.last_issued());
}
