// The invalid-file table of the accounts' SASL keys: "mechanism" and the OAuth 2.0 token file,
// each bad value with the exact problem it gives, placed at its line and column.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "scenarios/steps/credentials.hpp"
#include "tests/unit/scenario_rows.hpp"

using namespace scenario_rows;

namespace {

std::string account_with(const std::string& password, const std::string& extra) {
  return good_with(kPasswordLine, password + extra);
}

const std::string kToken = R"("password": { "oauth2_token_file": "probe.token" })";

const std::vector<Row>& table() {
  static const std::vector<Row> rows = {
      {"a mechanism named",
       {{"s.json", account_with(kPasswordLine, R"(, "mechanism": "scram-sha-256")")}},
       {}},
      {"an unknown mechanism",
       {{"s.json", account_with(kPasswordLine, R"(, "mechanism": "cram-md5")")}},
       {"{dir}/s.json: line 8, column 96 (accounts.probe.mechanism): unknown SASL mechanism "
        "\"cram-md5\"; use one of plain, login, scram-sha-1, scram-sha-256, xoauth2, "
        "oauthbearer, or leave it out for the best the server offers"}},
      {"a mechanism that is no string",
       {{"s.json", account_with(kPasswordLine, R"(, "mechanism": 7)")}},
       {"{dir}/s.json: line 8, column 96 (accounts.probe.mechanism): must be a string"}},
      {"a token mechanism for a password",
       {{"s.json", account_with(kPasswordLine, R"(, "mechanism": "oauthbearer")")}},
       {"{dir}/s.json: line 8, column 96 (accounts.probe.mechanism): oauthbearer sends an OAuth "
        "2.0 access token: give the password as {\"oauth2_token_file\": \"path\"}"}},
      {"a token file",
       {{"s.json", account_with(kToken, R"(, "mechanism": "xoauth2")")},
        {"probe.token", "ya29.token\n", 0600, false}},
       {}},
      {"a password mechanism for a token",
       {{"s.json", account_with(kToken, R"(, "mechanism": "plain")")},
        {"probe.token", "ya29.token\n", 0600, false}},
       {"{dir}/s.json: line 8, column 111 (accounts.probe.mechanism): plain needs a password, but "
        "the account has an OAuth 2.0 token: use \"xoauth2\" or \"oauthbearer\""}},
      {"a token file others can read",
       {{"s.json", account_with(kToken, "")}, {"probe.token", "ya29.token\n", 0644, false}},
       {"{dir}/s.json: line 8, column 81 (accounts.probe.password.oauth2_token_file): secret file "
        "{dir}/probe.token is open to other users (mode 0644); run: chmod 600 "
        "{dir}/probe.token"}},
      {"a token file missing",
       {{"s.json", account_with(kToken, "")}},
       {"{dir}/s.json: line 8, column 81 (accounts.probe.password.oauth2_token_file): cannot read "
        "secret file {dir}/probe.token: No such file or directory; check the path (relative "
        "paths start at the scenario file)"}},
  };
  return rows;
}

// An account given by an "oauth2" block instead of a password; `block` is its inside.
std::string grant_with(const std::string& block) {
  return good_with(kPasswordLine, R"("oauth2": { )" + block + " }");
}

const std::string kGrant =
    R"("token_url": "https://oauth2.example.test/token", "client_id": "probe", )"
    R"("refresh_token_file": "refresh.token")";
const TestFile kRefresh{"refresh.token", "1//0g-refresh\n", 0600, false};

const std::vector<Row>& grant_table() {
  static const std::vector<Row> rows = {
      {"a refresh grant", {{"s.json", grant_with(kGrant)}, kRefresh}, {}},
      {"client credentials",
       {{"s.json", grant_with(R"("token_url": "https://oauth2.example.test/token", )"
                              R"("client_id": "probe", "client_secret_file": "client.secret", )"
                              R"("scope": "https://mail.example.test/imap")")},
        {"client.secret", "s3cret\n", 0600, false}},
       {}},
      {"a password and a grant",
       {{"s.json", good_with(kPasswordLine, kPasswordLine + R"(, "oauth2": { )" + kGrant + " }")},
        kRefresh},
       {"{dir}/s.json: line 8, column 93 (accounts.probe.oauth2): an account logs in with a "
        "\"password\" or an \"oauth2\" token endpoint, not both: leave one out"}},
      {"a token URL that is not https",
       {{"s.json", grant_with(R"("token_url": "http://oauth2.example.test/token", )"
                              R"("client_id": "probe", "refresh_token_file": "refresh.token")")},
        kRefresh},
       {"{dir}/s.json: line 8, column 71 (accounts.probe.oauth2.token_url): "
        "\"http://oauth2.example.test/token\" is not an https:// URL; give the token "
        "endpoint's, like \"https://oauth2.googleapis.com/token\""}},
      {"no client_id, no token_url, no grant",
       {{"s.json", grant_with(R"("scope": "x")")}},
       {"{dir}/s.json: line 8, column 56 (accounts.probe.oauth2): needs a \"token_url\", the "
        "token endpoint, like \"https://oauth2.googleapis.com/token\"",
        "{dir}/s.json: line 8, column 56 (accounts.probe.oauth2): needs a \"client_id\", the "
        "client registered with the token endpoint",
        "{dir}/s.json: line 8, column 56 (accounts.probe.oauth2): needs a "
        "\"refresh_token_file\" (the refresh_token grant) or a \"client_secret_file\" "
        "(client_credentials)"}},
      {"a refresh token file others can read",
       {{"s.json", grant_with(kGrant)}, {"refresh.token", "1//0g\n", 0644, false}},
       {"{dir}/s.json: line 8, column 152 (accounts.probe.oauth2.refresh_token_file): secret "
        "file {dir}/refresh.token is open to other users (mode 0644); run: chmod 600 "
        "{dir}/refresh.token"}},
      {"a typo in the block",
       {{"s.json", grant_with(kGrant + R"(, "scopes": "x")")}, kRefresh},
       {"{dir}/s.json: line 8, column 169 (accounts.probe.oauth2.scopes): unknown key "
        "\"scopes\"; did you mean \"scope\"? (known keys here: token_url, client_id, "
        "client_secret_file, refresh_token_file, scope, ca_file)"}},
      {"a CA file missing",
       {{"s.json", grant_with(kGrant + R"(, "ca_file": "none.pem")")}, kRefresh},
       {"{dir}/s.json: line 8, column 180 (accounts.probe.oauth2.ca_file): no such file: "
        "{dir}/none.pem (paths are relative to the scenario file)"}},
      {"a password mechanism for a grant",
       {{"s.json", good_with(kPasswordLine,
                             R"("oauth2": { )" + kGrant + R"( }, "mechanism": "scram-sha-256")")},
        kRefresh},
       {"{dir}/s.json: line 8, column 184 (accounts.probe.mechanism): scram-sha-256 needs a "
        "password, but the account has an OAuth 2.0 token: use \"xoauth2\" or "
        "\"oauthbearer\""}},
  };
  return rows;
}

}  // namespace

TEST_CASE("the invalid-file table of the accounts' oauth2 block", "[scenario]") {
  check_rows(grant_table());
}

TEST_CASE("the invalid-file table of the accounts' SASL keys", "[scenario]") {
  check_rows(table());
}

TEST_CASE("a token file is the account's secret, read again at login", "[scenario]") {
  ::setenv("MC_TEST_PW", kSentinel, 1);
  TempDir dir;
  const Row row{
      "token",
      {{"s.json", account_with(kToken, "")}, {"probe.token", "ya29.first\n", 0600, false}},
      {}};
  mc::scn::Loaded loaded;
  REQUIRE(load_row(row, dir.path(), &loaded).empty());
  const mc::scn::Account& a = loaded.files.at(0).accounts.at("probe");
  CHECK(a.oauth2);
  CHECK(a.password == "ya29.first");
  CHECK(a.password_source == "OAuth 2.0 token file " + dir.path() + "/probe.token");
  const mc::scn::Server& server = loaded.files.at(0).servers.at("store");
  CHECK(mc::scn::sasl_credentials(a, server).secret == "ya29.first");
  std::ofstream(dir.path() + "/probe.token") << "ya29.renewed\n";
  const mc::proto::sasl::Credentials c = mc::scn::sasl_credentials(a, server);
  CHECK(c.secret == "ya29.renewed");
  CHECK(c.token);
  CHECK(c.host == "mail.example.test");
  CHECK(c.port == 993);
}
