// End-to-end runs as cron would make them: many scenarios at once, thresholds, and probes that
// arrive late or never, against the real Postfix + Dovecot.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/e2e/platform.hpp"
#include "tests/support/run_binary.hpp"

namespace fs = std::filesystem;
using mc::e2e::run;
using mc::e2e::url;
using mc::e2e::var;
using nlohmann::json;

namespace {

json tls() {
  return {{"ca_file", var("MC_CA")}, {"server_name", "mail.example.test"}};
}

// One scenario: submission as `user` to itself, wait in its INBOX, delete.
json roundtrip(const std::string& name, const std::string& user, const json& wait_extra = {}) {
  json wait = {
      {"step", "imap.wait"}, {"server", "store"}, {"account", user}, {"poll_interval", "100ms"}};
  for (const auto& [k, v] : wait_extra.items()) wait[k] = v;
  return {{"name", name},
          {"timeout", "60s"},
          {"steps", json::array({{{"step", "smtp.send"},
                                  {"server", "submission"},
                                  {"account", user},
                                  {"from", user + "@example.test"},
                                  {"to", {user + "@example.test"}}},
                                 wait,
                                 {{"step", "imap.delete"}}})}};
}

json platform_file(const json& scenarios, const std::vector<std::string>& users) {
  json accounts = json::object();
  for (const auto& u : users)
    accounts[u] = {{"user", u + "@example.test"},
                   {"password", {{"file", var("MC_USERS_PASSWORD_FILE")}}}};
  return {{"version", 1},
          {"defaults", {{"timeout", "60s"}, {"tls", tls()}}},
          {"servers",
           {{"submission", {{"url", url("smtp", "MC_SUBMISSION_PORT")}}},
            {"store", {{"url", url("imaps", "MC_IMAPS_PORT")}}}}},
          {"accounts", accounts},
          {"scenarios", scenarios}};
}

std::string user(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "user%02d", i);
  return buf;
}

// The held@ mailbox: Postfix keeps its mail on hold until the test releases it.
json held_file() {
  return platform_file(json::array({roundtrip("held", "held", {{"timeout", "2s"}})}), {"held"});
}

// Waits (at most 30 s) until `n` messages carrying `needle` are in held@'s INBOX.
bool arrives(const std::string& needle) {
  for (int i = 0; i < 300; ++i) {
    if (mc::e2e::messages_with("held", needle) > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

TEST_CASE("50 scenarios with 50 mailboxes in one run: all ok, every probe deleted", "[runs]") {
  json scenarios = json::array();
  std::vector<std::string> users;
  for (int i = 1; i <= 50; ++i) {
    users.push_back(user(i));
    scenarios.push_back(roundtrip("inbox-" + user(i), user(i)));
  }
  const auto r = run(platform_file(scenarios, users));
  INFO(r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  REQUIRE(r.result["scenarios"].size() == 50);
  std::set<std::string> tokens;
  for (const auto& sc : r.result["scenarios"]) {
    CHECK(sc["status"] == "ok");
    tokens.insert(sc["token"].get<std::string>());
  }
  CHECK(tokens.size() == 50);
  for (int i = 1; i <= 50; ++i)
    for (const auto& t : tokens) REQUIRE(mc::e2e::messages_with(user(i), t) == 0);
}

TEST_CASE("a warn threshold below the real delivery time: exit 1, the step named", "[runs]") {
  const auto r =
      run(platform_file(json::array({roundtrip("slow", "user01", {{"warn", "1ms"}})}), {"user01"}));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 1);
  CHECK(r.result["status"] == "warning");
  const json& wait = r.result["scenarios"][0]["steps"][1];
  CHECK(wait["step"] == "imap.wait");
  CHECK(wait["status"] == "warning");
  CHECK(wait["threshold"] == "warn");
  CHECK(r.ran.out.find("imap.wait") != std::string::npos);
}

TEST_CASE("a crit threshold: exit 2", "[runs]") {
  const auto r =
      run(platform_file(json::array({roundtrip("slow", "user02", {{"crit", "1ms"}})}), {"user02"}));
  CHECK(r.ran.exit_code == 2);
  CHECK(r.result["scenarios"][0]["steps"][1]["threshold"] == "crit");
}

TEST_CASE("mail held in the queue: not delivered, then late in the next run, mailbox clean",
          "[runs]") {
  const std::string state = mc::test::make_temp_dir("mc-state");
  const std::vector<std::string> with_state = {"--state-dir", state};

  // Run 1: Postfix holds the message; imap.wait gives up after 2 s.
  const auto first = run(held_file(), {}, with_state);
  INFO(first.ran.out << first.ran.err);
  REQUIRE(first.ran.exit_code == 2);
  CHECK(first.result["scenarios"][0]["failure"]["reason"] == "not_delivered");
  const std::string token = first.result["scenarios"][0]["token"];
  REQUIRE(fs::exists(state + "/pending/" + token + ".json"));

  // The queue lets it go; it reaches the mailbox after its run ended.
  mc::e2e::release_held_mail();
  REQUIRE(arrives(token));

  // Run 2 finds it: late, with its real delivery time, and deleted.
  const auto second = run(held_file(), {}, with_state);
  INFO(second.ran.out << second.ran.err);
  const json& late = second.result["scenarios"][0]["late"];
  REQUIRE(late.size() == 1);
  CHECK(late[0]["token"] == token);
  CHECK(late[0]["delivery_s"].get<double>() >= 0);
  CHECK(late[0]["queued_at"] == first.result["scenarios"][0]["queued_at"]);
  // The Received: date has whole seconds, and the result says so instead of mixing precisions.
  CHECK(late[0]["delivery_precision_s"] == 1);
  const double delivery = late[0]["delivery_s"].get<double>();
  CHECK(delivery == static_cast<double>(static_cast<long long>(delivery)));
  CHECK(late[0]["delivered_at"].get<std::string>().ends_with(".000Z"));
  // When this run saw it, to the millisecond: never before the mailstore took it.
  REQUIRE(late[0].contains("seen_at"));
  CHECK(late[0]["seen_at"].get<std::string>() >= late[0]["delivered_at"].get<std::string>());
  CHECK(late[0]["seen_at"].get<std::string>() > late[0]["queued_at"].get<std::string>());
  CHECK_FALSE(fs::exists(state + "/pending/" + token + ".json"));
  CHECK(mc::e2e::messages_with("held", token) == 0);

  // Run 2's own probe is held too; drop it so nothing is left behind.
  mc::e2e::delete_held_mail();
  fs::remove_all(state);
  CHECK(mc::e2e::messages_with("held", "X-Mailcanary-Token: " + token) == 0);
  CHECK(mc::e2e::messages_with("held", second.result["scenarios"][0]["token"]) == 0);
}

TEST_CASE("a probe never delivered is reported lost after the horizon, then forgotten", "[runs]") {
  const std::string state = mc::test::make_temp_dir("mc-state");
  const auto first = run(held_file(), {}, {"--state-dir", state});
  REQUIRE(first.ran.exit_code == 2);
  const std::string token = first.result["scenarios"][0]["token"];
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  const auto second = run(held_file(), {}, {"--state-dir", state, "--lost-after", "1s"});
  INFO(second.ran.out << second.ran.err);
  const json& lost = second.result["scenarios"][0]["lost"];
  REQUIRE(lost.size() == 1);
  CHECK(lost[0]["token"] == token);
  CHECK(second.result["scenarios"][0]["late"].empty());
  CHECK_FALSE(fs::exists(state + "/pending/" + token + ".json"));
  // The second run's own probe is what is pending now.
  CHECK(fs::exists(state + "/pending/" + second.result["scenarios"][0]["token"].get<std::string>() +
                   ".json"));
  mc::e2e::delete_held_mail();
  fs::remove_all(state);
}

TEST_CASE("a corrupt state file is set aside and reported, the run goes on", "[runs]") {
  const std::string state = mc::test::make_temp_dir("mc-state");
  fs::create_directories(state + "/pending");
  mc::test::write_file(state + "/pending/0123.json", "{ not json");
  const auto r = run(platform_file(json::array({roundtrip("ok", "user03")}), {"user03"}), {},
                     {"--state-dir", state});
  INFO(r.ran.err);
  CHECK(r.ran.exit_code == 0);
  CHECK(fs::exists(state + "/pending/corrupt/0123.json"));
  CHECK_FALSE(fs::exists(state + "/pending/0123.json"));
  REQUIRE(r.result["warnings"].size() == 1);
  CHECK(r.ran.err.find("0123.json is unreadable") != std::string::npos);
  fs::remove_all(state);
}

TEST_CASE("the sentinel password is in no state file, -v output or result of a late run",
          "[runs]") {
  const std::string secret = mc::e2e::probe_password();
  REQUIRE(secret.find("sentinel") != std::string::npos);
  const std::string state = mc::test::make_temp_dir("mc-state");
  // The probe account (the sentinel password) submits to held@, so the probe stays pending.
  json file = held_file();
  file["accounts"]["probe"] = {{"user", "probe@example.test"},
                               {"password", {{"env", "MC_E2E_PASSWORD"}}}};
  file["scenarios"][0]["steps"][0]["account"] = "probe";
  file["scenarios"][0]["steps"][0]["from"] = "probe@example.test";
  const auto r = run(file, {}, {"--state-dir", state, "-v"});
  REQUIRE(r.ran.exit_code == 2);
  REQUIRE(r.ran.err.find("AUTH") != std::string::npos);
  std::string everything = r.ran.out + r.ran.err + r.result.dump();
  int state_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(state))
    if (e.is_regular_file()) {
      everything += mc::test::read_file(e.path().string());
      ++state_files;
    }
  CHECK(state_files >= 2);  // the lock and the pending probe
  CHECK(everything.find(secret) == std::string::npos);
  mc::e2e::delete_held_mail();
  fs::remove_all(state);
}
