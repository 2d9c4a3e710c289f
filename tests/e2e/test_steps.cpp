// End-to-end: the step kinds beyond the round trip, and the scenario's one IMAP session, against
// the real Dovecot. Logins are counted in Dovecot's own log, not in mailcanary's result.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/platform.hpp"
#include "tests/support/run_binary.hpp"

using mc::e2e::run;
using mc::e2e::url;
using mc::e2e::var;
using nlohmann::json;

namespace {

json file_with(const json& steps) {
  return mc::e2e::scenario_file(steps, "steps");
}

const json kSend = {{"step", "smtp.send"}, {"server", "out"}, {"account", "probe"}};
const json kWait = {{"step", "imap.wait"},
                    {"server", "store"},
                    {"account", "probe"},
                    {"timeout", "30s"},
                    {"poll_interval", "100ms"}};
const json kDelete = {{"step", "imap.delete"}};

json check(const json& mailboxes) {
  return {{"step", "imap.check"},
          {"server", "store"},
          {"account", "probe"},
          {"mailboxes", mailboxes},
          {"fetch", 5}};
}

// Dovecot's log lines that record a successful IMAP login of the probe, from `offset` on.
int logins_since(std::streamoff offset) {
  std::ifstream in(var("MC_DOVECOT_LOG"));
  in.seekg(offset);
  int n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find("imap-login: ") != std::string::npos &&
        line.find("Login: user=<probe@example.test>") != std::string::npos)
      ++n;
  return n;
}

std::streamoff log_size() {
  std::ifstream in(var("MC_DOVECOT_LOG"), std::ios::ate);
  return in.tellg();
}

std::vector<std::string> phases(const json& step) {
  std::vector<std::string> out;
  for (const auto& p : step["phases"]) out.push_back(p["phase"]);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

TEST_CASE("imap.wait then imap.delete log in to Dovecot once", "[e2e][session]") {
  const auto before = log_size();
  const auto r = run(file_with(json::array({kSend, kWait, kDelete})));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  CHECK(logins_since(before) == 1);
  const auto& steps = r.result["scenarios"][0]["steps"];
  CHECK(has(phases(steps[1]), "login"));
  CHECK_FALSE(has(phases(steps[2]), "login"));
  CHECK_FALSE(has(phases(steps[2]), "connect"));
  CHECK(phases(steps[2]).back() == "logout");
  CHECK(steps[2]["uids"] == steps[1]["uids"]);
}

TEST_CASE("session new: a step of its own logs in again", "[e2e][session]") {
  json own = check(json::array({"INBOX"}));
  own["session"] = "new";
  const auto before = log_size();
  const auto r = run(file_with(json::array({kSend, kWait, own, kDelete})));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  CHECK(logins_since(before) == 2);
  CHECK(has(phases(r.result["scenarios"][0]["steps"][2]), "login"));
}

TEST_CASE("imap.check opens several folders, each SELECT and FETCH timed", "[e2e][check]") {
  const auto before = log_size();
  const auto r = run(file_with(
      json::array({kSend, kWait, check(json::array({"INBOX", "Sent", "Trash"})), kDelete})));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  CHECK(logins_since(before) == 1);  // the check shares the scenario's session
  const json& step = r.result["scenarios"][0]["steps"][2];
  CHECK(step["step"] == "imap.check");
  const auto p = phases(step);
  for (const char* name : {"list", "select:INBOX", "fetch:INBOX", "select:Sent", "select:Trash"})
    CHECK(has(p, name));
  CHECK_FALSE(has(p, "login"));
  REQUIRE(step["mailboxes"].size() == 3);
  CHECK(step["mailboxes"][0]["mailbox"] == "INBOX");
  CHECK(step["mailboxes"][0]["exists"].get<int>() >= 1);  // the probe, not yet deleted
  CHECK(step["mailboxes"][0]["fetched"].get<int>() >= 1);
  CHECK(step["mailboxes"][1]["mailbox"] == "Sent");
}

TEST_CASE("imap.check: a folder that does not exist is rejected with Dovecot's reply",
          "[e2e][check]") {
  const auto r =
      run(file_with(json::array({check(json::array({"INBOX", "NoSuchFolder", "Sent"}))})));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  const json& f = r.result["scenarios"][0]["failure"];
  CHECK(f["step"] == "imap.check");
  CHECK(f["reason"] == "rejected");
  CHECK(f["phase"] == "select:NoSuchFolder");
  CHECK(f["reply"]["status"] == "NO");
  CHECK(f["reply"]["text"].get<std::string>().find("NoSuchFolder") != std::string::npos);
  const auto p = phases(r.result["scenarios"][0]["steps"][0]);
  CHECK(has(p, "select:INBOX"));
  CHECK_FALSE(has(p, "select:Sent"));  // nothing after the refusal
  CHECK(p.back() == "logout");         // the session was healthy: it is logged out
}

TEST_CASE("sleep waits its duration between steps", "[e2e][sleep]") {
  const auto r = run(file_with(json::array(
      {json{{"step", "sleep"}, {"duration", "300ms"}}, check(json::array({"INBOX"}))})));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const json& s = r.result["scenarios"][0]["steps"][0];
  CHECK(s["step"] == "sleep");
  CHECK(s["duration_s"].get<double>() >= 0.3);
  CHECK(s["duration_s"].get<double>() < 0.5);
  REQUIRE(s["phases"].size() == 1);
  CHECK(s["phases"][0]["phase"] == "sleep");
  // The next step starts after it.
  const json& next = r.result["scenarios"][0]["steps"][1];
  CHECK(next["start_s"].get<double>() >= 0.3);
}

TEST_CASE("smtp.send: subject, extra headers, body and size arrive as written", "[e2e][send]") {
  json send = kSend;
  send["subject"] = "Grüße: quarterly figures";
  send["headers"] = json::array({"X-Probe-Kind: e2e", "List-Id: <probes.example.test>"});
  send["body"] = "first line\nsecond line";
  send["size"] = 40000;
  json keep = kWait;
  keep["keep"] = true;  // left in the mailbox, to be read from disk here
  const auto r = run(file_with(json::array({send, keep})));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const std::string token = r.result["scenarios"][0]["token"];
  std::string stored;
  std::filesystem::path file;
  for (const char* sub : {"cur", "new"})
    for (const auto& e : std::filesystem::directory_iterator(mc::e2e::maildir("probe") / sub)) {
      const std::string text = mc::test::read_file(e.path().string());
      if (text.find(token) == std::string::npos) continue;
      stored = text;
      file = e.path();
    }
  REQUIRE_FALSE(stored.empty());
  std::filesystem::remove(file);  // the probe kept for this test
  CHECK(stored.find("\nX-Probe-Kind: e2e\n") != std::string::npos);
  CHECK(stored.find("\nList-Id: <probes.example.test>\n") != std::string::npos);
  CHECK(stored.find("\nSubject: =?UTF-8?B?") != std::string::npos);
  CHECK(stored.find("\n\nfirst line\nsecond line\n") != std::string::npos);
  // 40000 bytes as sent with CRLF; the Maildir holds LF lines and the hops' own headers.
  std::size_t lines = 0;
  for (char c : stored) lines += c == '\n';
  CHECK(stored.size() + lines >= 40000);
}
