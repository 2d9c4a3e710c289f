// End-to-end: OAuth 2.0 bearer tokens against a real Dovecot. The tier's second Dovecot
// (tests/e2e/sasl.sh) offers XOAUTH2 and OAUTHBEARER to oauth@ through its oauth2 passdb, which
// asks this test's introspection endpoint (tests/support/oauth_server.cpp, HTTPS with the tier's
// certificate) whether a token is active. The account reads its token from a file; a valid one
// logs in, any other is auth_failed; no token is in any output.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
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

mc::test::OAuthServer& endpoint() {
  static mc::test::OAuthServer server(std::stoi(var("MC_OAUTH_PORT")),
                                      var("MC_DIR") + "/server.pem", var("MC_DIR") + "/server.key");
  static const bool registered = [] {
    server.add_token(kValid, var("MC_OAUTH_USER"));
    return true;
  }();
  (void)registered;
  return server;
}

std::string token_file(const std::string& token) {
  const std::string dir = mc::test::make_temp_dir("mc-oauth");
  const std::string path = dir + "/access.token";
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
