// End-to-end: smtp.send -> pop3.wait -> pop3.delete against the real Dovecot POP3 of the tier,
// over STLS (pop3://) and implicit TLS (pop3s://): the Maildir loses exactly the probe, a decoy
// carrying another probe's token stays; a wrong password is auth_failed; the sentinel password
// is in no output.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "codec/base64.hpp"
#include "tests/e2e/platform.hpp"

namespace fs = std::filesystem;
using mc::e2e::run;
using mc::e2e::url;
using nlohmann::json;

namespace {

json pop3_file(const std::string& scheme, const std::string& port_key) {
  const json steps = json::array({{{"step", "smtp.send"}, {"server", "out"}, {"account", "probe"}},
                                  {{"step", "pop3.wait"},
                                   {"server", "pop"},
                                   {"account", "probe"},
                                   {"timeout", "30s"},
                                   {"poll_interval", "200ms"}},
                                  {{"step", "pop3.delete"}}});
  json f = mc::e2e::scenario_file(steps, "pop3");
  f["servers"]["pop"] = {{"url", url(scheme, port_key)}};
  return f;
}

// The messages' contents, whatever Dovecot did to their file names (new/ to cur/).
std::multiset<std::string> contents() {
  std::multiset<std::string> out;
  for (const auto& m : mc::e2e::mailbox_snapshot("probe")) out.insert(m.substr(m.find('|') + 1));
  return out;
}

// A message carrying another probe's token: mailcanary's, but not this run's to delete.
std::string send_decoy() {
  const auto r = run(mc::e2e::send_only("probe@example.test"));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const std::string token = r.result["scenarios"][0]["token"];
  const std::string queue_id = r.result["scenarios"][0]["steps"][0]["queue_id"];
  REQUIRE(mc::e2e::wait_delivered(queue_id, std::chrono::seconds(20)));
  REQUIRE(mc::e2e::messages_with("probe", token) == 1);
  return token;
}

void remove_messages_with(const std::string& token) {
  for (const char* sub : {"cur", "new"}) {
    const fs::path d = mc::e2e::maildir("probe") / sub;
    if (!fs::exists(d)) continue;
    for (const auto& e : fs::directory_iterator(d))
      if (mc::test::read_file(e.path().string()).find(token) != std::string::npos)
        fs::remove(e.path());
  }
}

void round_trip(const std::string& scheme, const std::string& port_key) {
  const std::string decoy = send_decoy();
  const auto before = contents();
  const auto r = run(pop3_file(scheme, port_key));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 0);
  REQUIRE(r.result.is_object());
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["status"] == "ok");
  CHECK(sc["failure"].is_null());
  CHECK(sc["placement"] == "inbox");
  CHECK(sc["delivery_s"].is_number());
  const json& wait = sc["steps"][1];
  CHECK(wait["step"] == "pop3.wait");
  CHECK(wait["tls"]["verified"] == true);
  CHECK_FALSE(wait["uidl"].get<std::string>().empty());
  CHECK(wait["received_at"].is_string());
  const json& del = sc["steps"][2];
  CHECK(del["step"] == "pop3.delete");
  CHECK(del["deleted"] == true);
  CHECK(del["uidl"] == wait["uidl"]);
  std::set<std::string> phases;
  for (const auto& p : del["phases"]) phases.insert(p["phase"]);
  for (const char* p :
       {"connect", "tls_handshake", "greeting", "login", "search", "fetch", "store", "quit"})
    CHECK(phases.count(p) == 1);
  CHECK(phases.count("starttls") == (scheme == "pop3" ? 1u : 0u));
  // The Maildir lost exactly the probe: the decoy with another probe's token is still there.
  CHECK(mc::e2e::messages_with("probe", sc["token"].get<std::string>()) == 0);
  CHECK(mc::e2e::messages_with("probe", decoy) == 1);
  CHECK(contents() == before);
  remove_messages_with(decoy);
}

}  // namespace

TEST_CASE("pop3 over STLS: the probe found by UIDL and TOP, deleted at QUIT, nothing else",
          "[e2e][pop3]") {
  round_trip("pop3", "MC_POP3_PORT");
}

TEST_CASE("pop3s over implicit TLS: the same round trip", "[e2e][pop3]") {
  round_trip("pop3s", "MC_POP3S_PORT");
}

TEST_CASE("pop3 with a wrong password: auth_failed in phase login, the probe swept later",
          "[e2e][pop3]") {
  json f = pop3_file("pop3s", "MC_POP3S_PORT");
  f["accounts"]["reader"] = {{"user", "probe@example.test"},
                             {"password", {{"env", "MC_WRONG_PASSWORD"}}}};
  f["scenarios"][0]["steps"][1]["account"] = "reader";
  const auto r = run(f, {{"MC_WRONG_PASSWORD", "not-the-password"}});
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["failure"]["step"] == "pop3.wait");
  CHECK(sc["failure"]["phase"] == "login");
  CHECK(sc["failure"]["reason"] == "auth_failed");
  CHECK(sc["steps"][2]["status"] == "skipped");
  // The probe was delivered all the same: removed here, for the tests after this one.
  const std::string token = sc["token"];
  CHECK_FALSE(
      mc::e2e::wait_for_message(mc::e2e::maildir("probe"), {token}, std::chrono::seconds(20))
          .empty());
  remove_messages_with(token);
}

TEST_CASE("pop3: the sentinel password is in no output, -v transcript or result", "[e2e][pop3]") {
  const std::string secret = mc::e2e::probe_password();
  REQUIRE(secret.find("sentinel") != std::string::npos);
  const auto r = run(pop3_file("pop3", "MC_POP3_PORT"), {}, {"-v"});
  INFO(r.ran.err);
  CHECK(r.ran.exit_code == 0);
  REQUIRE(r.ran.err.find("AUTH PLAIN") != std::string::npos);  // -v showed the POP3 dialogue
  const std::string all = r.ran.out + r.ran.err + r.result.dump();
  CHECK(all.find(secret) == std::string::npos);
  CHECK(all.find(mc::codec::base64_encode(std::string("\0probe@example.test\0", 20) + secret)) ==
        std::string::npos);
  CHECK(all.find(mc::codec::base64_encode(secret)) == std::string::npos);
}

TEST_CASE("pop3: a probe an earlier run left behind is found and deleted by the next run's sweep",
          "[e2e][pop3]") {
  const std::string state = mc::test::make_temp_dir("mc-pop3-state");
  json left = pop3_file("pop3s", "MC_POP3S_PORT");
  left["scenarios"][0]["steps"].erase(2);  // no pop3.delete: the probe stays, pending
  const auto first = run(left, {}, {"--state-dir", state});
  INFO(first.ran.out << first.ran.err);
  REQUIRE(first.ran.exit_code == 0);
  const std::string earlier = first.result["scenarios"][0]["token"];
  REQUIRE(mc::e2e::messages_with("probe", earlier) == 1);

  const auto second = run(pop3_file("pop3s", "MC_POP3S_PORT"), {}, {"--state-dir", state});
  INFO(second.ran.out << second.ran.err);
  CHECK(second.ran.exit_code == 0);
  const json& sc = second.result["scenarios"][0];
  CHECK(sc["pending"] == 0);
  CHECK(mc::e2e::messages_with("probe", earlier) == 0);
  CHECK(mc::e2e::messages_with("probe", sc["token"].get<std::string>()) == 0);
  fs::remove_all(state);
}

TEST_CASE("pop3: a probe that never comes is not_delivered after the step's timeout",
          "[e2e][pop3]") {
  json f = pop3_file("pop3s", "MC_POP3S_PORT");
  f["scenarios"][0]["steps"][0]["to"] = "held@example.test";  // Postfix holds it
  f["scenarios"][0]["steps"][1]["timeout"] = "2s";
  const auto r = run(f);
  INFO(r.ran.out << r.ran.err);
  mc::e2e::delete_held_mail();
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["failure"]["step"] == "pop3.wait");
  CHECK(sc["failure"]["phase"] == "search");
  CHECK(sc["failure"]["reason"] == "not_delivered");
  CHECK(sc["placement"] == "missing");
  CHECK(sc["steps"][1]["rounds"].get<int>() >= 2);
  CHECK(sc["steps"][2]["status"] == "skipped");
}

TEST_CASE("pop3.delete still deletes the probe found when a later step failed", "[e2e][pop3]") {
  json f = pop3_file("pop3s", "MC_POP3S_PORT");
  auto& steps = f["scenarios"][0]["steps"];
  steps.insert(steps.begin() + 2, json{{"step", "imap.check"},
                                       {"server", "store"},
                                       {"account", "probe"},
                                       {"mailboxes", {"No-Such-Folder"}}});
  const auto r = run(f);
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["failure"]["step"] == "imap.check");
  CHECK(sc["failure"]["reason"] == "rejected");
  CHECK(sc["steps"][3]["step"] == "pop3.delete");
  CHECK(sc["steps"][3]["status"] == "ok");
  CHECK(sc["steps"][3]["deleted"] == true);
  CHECK(mc::e2e::messages_with("probe", sc["token"].get<std::string>()) == 0);
}
