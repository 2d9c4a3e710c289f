// End-to-end: http.get against a real Radicale (tests/e2e/web.sh) over HTTPS with the platform's
// certificate and htpasswd authentication: the probe's calendar and address book found in its
// PROPFIND multistatus, the home collection that is neither, a wrong password, and the password in
// no output; and a real Roundcube logged in to with a form login (its token captured, its session
// cookies kept), checked on the mailbox page it shows after logging in to Dovecot over IMAP.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/platform.hpp"

using mc::e2e::run;
using mc::e2e::var;
using nlohmann::json;

namespace {

const char* const kPropfind =
    R"(<?xml version="1.0" encoding="utf-8"?>)"
    R"(<propfind xmlns="DAV:"><prop><resourcetype/><displayname/></prop></propfind>)";

json dav_step(const std::string& path, const std::string& depth, const std::string& collection) {
  return {{"step", "http.get"},
          {"server", "dav"},
          {"account", "probe"},
          {"method", "PROPFIND"},
          {"path", path},
          {"headers", {"Depth: " + depth, "Content-Type: application/xml; charset=utf-8"}},
          {"body", kPropfind},
          {"expect", {{"status", 207}, {"collection", collection}}}};
}

json dav_file(const json& steps) {
  json file = mc::e2e::scenario_file(steps, "groupware");
  file["servers"]["dav"] = {{"url", var("MC_RADICALE_URL")}};
  return file;
}

}  // namespace

TEST_CASE("e2e http.get: Radicale lists the probe's calendar and address book", "[e2e][web]") {
  const auto r = run(dav_file(json::array({dav_step("/probe@example.test/", "1", "calendar"),
                                           dav_step("/probe@example.test/", "1", "addressbook")})));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const auto& steps = r.result["scenarios"][0]["steps"];
  CHECK(steps[0]["http_status"] == 207);
  REQUIRE(steps[0]["collections"].size() == 1);
  CHECK(steps[0]["collections"][0]["href"] == "/probe%40example.test/calendar/");
  CHECK(steps[0]["collections"][0]["displayname"] == "Probe calendar");
  REQUIRE(steps[1]["collections"].size() == 1);
  CHECK(steps[1]["collections"][0]["href"] == "/probe%40example.test/contacts/");
  // HTTPS with the platform's CA, under the name in defaults.tls.
  CHECK(steps[0]["tls"]["verified"] == true);
  std::vector<std::string> names;
  for (const auto& p : steps[0]["phases"]) names.push_back(p["phase"]);
  CHECK(names ==
        std::vector<std::string>{"connect", "tls_handshake", "request", "first_byte", "transfer"});
  CHECK(r.ran.out.find(mc::e2e::probe_password()) == std::string::npos);
  CHECK(r.ran.err.find(mc::e2e::probe_password()) == std::string::npos);
  CHECK(r.result.dump().find(mc::e2e::probe_password()) == std::string::npos);
}

TEST_CASE("e2e http.get: the user's home itself is no calendar", "[e2e][web]") {
  // Depth 0: the home collection alone, without the calendar and address book in it.
  const auto r = run(dav_file(json::array({dav_step("/probe@example.test/", "0", "calendar")})));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  const auto& f = r.result["scenarios"][0]["failure"];
  CHECK(f["reason"] == "expectation");
  CHECK(f["phase"] == "expect");
  CHECK(f["message"] == "the multistatus (1 responses) lists no calendar");
}

TEST_CASE("e2e http.get: Radicale refuses a wrong password", "[e2e][web]") {
  const auto r = run(dav_file(json::array({dav_step("/probe@example.test/", "1", "calendar")})),
                     {{"MC_E2E_PASSWORD", "not-the-password"}});
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  const auto& f = r.result["scenarios"][0]["failure"];
  CHECK(f["reason"] == "auth_failed");
  CHECK(f["reply"]["code"] == 401);
}

namespace {

json roundcube_file(const std::string& password_check_regex) {
  json file = mc::e2e::scenario_file(
      json::array({{{"step", "http.get"},
                    {"server", "webmail"},
                    {"path", "/"},
                    {"capture", {{"token", R"re(name="_token" value="([^"]+)")re"}}},
                    {"expect", {{"status", 200}, {"contains", "Roundcube Webmail"}}}},
                   {{"step", "http.get"},
                    {"server", "webmail"},
                    {"account", "probe"},
                    {"path", "/?_task=login"},
                    {"form",
                     {{"_token", "{token}"},
                      {"_task", "login"},
                      {"_action", "login"},
                      {"_timezone", "UTC"},
                      {"_user", "{user}"},
                      {"_pass", "{password}"}}},
                    {"expect", {{"status", 302}}}},
                   {{"step", "http.get"},
                    {"server", "webmail"},
                    {"path", "/?_task=mail&_mbox=INBOX"},
                    {"expect", {{"status", 200}, {"regex", password_check_regex}}}}}),
      "webmail");
  file["servers"]["webmail"] = {{"url", var("MC_ROUNDCUBE_URL")}, {"allow_plaintext_auth", true}};
  return file;
}

}  // namespace

TEST_CASE("e2e http.get: a form login to Roundcube reaches the inbox", "[e2e][web]") {
  const auto r = run(roundcube_file("<title>Roundcube Webmail :: Inbox</title>"));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const auto& steps = r.result["scenarios"][0]["steps"];
  CHECK(steps[0]["http_status"] == 200);
  CHECK(steps[1]["http_status"] == 302);
  // The redirect names its query parameters only: Roundcube puts a session token there.
  CHECK(steps[1]["redirect"].get<std::string>().find("?_task=...&_token=...") != std::string::npos);
  CHECK(steps[1]["plaintext_auth"] == true);
  CHECK(steps[2]["http_status"] == 200);
  CHECK(r.ran.out.find(mc::e2e::probe_password()) == std::string::npos);
  CHECK(r.result.dump().find(mc::e2e::probe_password()) == std::string::npos);
}

TEST_CASE("e2e http.get: Roundcube refuses a wrong password", "[e2e][web]") {
  // Roundcube answers a failed login with its login page again (status 401 in 1.6), so the
  // step that expects the redirect fails, and the mailbox page is never asked for.
  const auto r = run(roundcube_file("Inbox"), {{"MC_E2E_PASSWORD", "not-the-password"}});
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  const auto& f = r.result["scenarios"][0]["failure"];
  CHECK(f["step"] == "http.get");
  CHECK(f["reason"] == "expectation");
  CHECK(r.result["scenarios"][0]["steps"][2]["status"] == "skipped");
}
