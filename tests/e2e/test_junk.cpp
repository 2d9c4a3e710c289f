// End-to-end: imap.wait finds a probe that the platform's Sieve (tests/e2e/sieve.sh) filed into
// Junk, by Dovecot's SPECIAL-USE \Junk and its NOTIFY, and reports its placement; "junk" says
// what that means (fail, warn, ignore); imap.delete removes it from Junk, and nothing else in
// INBOX or Junk is touched.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/platform.hpp"

using mc::e2e::var;
using nlohmann::json;

namespace {

// smtp.send to the probe itself (with the Junk mark when `junk_mark`), imap.wait with `keys`,
// imap.delete.
json round_trip(bool junk_mark, const json& keys) {
  json send = {{"step", "smtp.send"}, {"server", "out"}, {"account", "probe"}};
  if (junk_mark)
    send["headers"] =
        json::array({var("MC_JUNK_HEADER_NAME") + ": " + var("MC_JUNK_HEADER_VALUE")});
  json wait = {
      {"step", "imap.wait"}, {"server", "store"}, {"account", "probe"}, {"timeout", "20s"}};
  wait.update(keys);
  return mc::e2e::scenario_file(json::array({send, wait, {{"step", "imap.delete"}}}), "junk");
}

const json& step_named(const json& scenario, const std::string& name) {
  for (const auto& st : scenario["steps"])
    if (st["step"] == name) return st;
  FAIL("no step " << name);
  static const json none;
  return none;
}

// Both mailboxes as they were before, and no copy of the probe in either.
void clean(const std::string& token, const std::multiset<std::string>& inbox,
           const std::multiset<std::string>& junk) {
  CHECK(mc::e2e::messages_with("probe", token) == 0);
  CHECK(mc::e2e::mailbox_snapshot("probe") == inbox);
  std::multiset<std::string> now;
  for (const char* sub : {"new", "cur"}) {
    const auto dir = mc::e2e::maildir_folder("probe", "Junk") / sub;
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string text = mc::test::read_file(e.path().string());
      CHECK(text.find(token) == std::string::npos);
      now.insert(text);
    }
  }
  CHECK(now == junk);
}

std::multiset<std::string> junk_texts() {
  std::multiset<std::string> s;
  for (const char* sub : {"new", "cur"}) {
    const auto dir = mc::e2e::maildir_folder("probe", "Junk") / sub;
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      s.insert(mc::test::read_file(e.path().string()));
  }
  return s;
}

}  // namespace

TEST_CASE("a probe in Junk fails as junk by default, is placed in Junk, and is deleted there",
          "[e2e][junk]") {
  const auto inbox = mc::e2e::mailbox_snapshot("probe");
  const auto junk = junk_texts();
  const auto r = mc::e2e::run(round_trip(true, json::object()));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 2);
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["placement"] == "junk");
  CHECK(sc["placement_mailbox"] == "Junk");
  REQUIRE(sc["failure"].is_object());
  CHECK(sc["failure"]["reason"] == "junk");
  CHECK(sc["failure"]["step"] == "imap.wait");
  const json& wait = step_named(sc, "imap.wait");
  CHECK(wait["junk_mailbox"] == "Junk");
  // Dovecot offers NOTIFY: the STATUS it sends for Junk ends the IDLE.
  CHECK(wait["detected_by"] == "idle");
  REQUIRE(sc.contains("delivery_s"));
  CHECK(sc["delivery_s"].get<double>() < 5);
  CHECK(step_named(sc, "imap.delete")["status"] == "ok");
  clean(sc["token"], inbox, junk);
}

TEST_CASE("junk warn makes a probe in Junk a WARNING, junk ignore an OK", "[e2e][junk]") {
  const auto inbox = mc::e2e::mailbox_snapshot("probe");
  const auto junk = junk_texts();
  SECTION("warn") {
    const auto r = mc::e2e::run(round_trip(true, {{"junk", "warn"}}));
    INFO(r.ran.out << r.ran.err);
    CHECK(r.ran.exit_code == 1);
    const json& sc = r.result["scenarios"][0];
    CHECK(sc["placement"] == "junk");
    CHECK(sc["failure"].is_null());
    CHECK(step_named(sc, "imap.wait")["status"] == "warning");
    clean(sc["token"], inbox, junk);
  }
  SECTION("ignore, watched with STATUS polls instead of IDLE and NOTIFY") {
    const auto r = mc::e2e::run(
        round_trip(true, {{"junk", "ignore"}, {"idle", false}, {"poll_interval", "50ms"}}));
    INFO(r.ran.out << r.ran.err);
    CHECK(r.ran.exit_code == 0);
    const json& sc = r.result["scenarios"][0];
    CHECK(sc["placement"] == "junk");
    CHECK(step_named(sc, "imap.wait")["detected_by"] == "poll");
    clean(sc["token"], inbox, junk);
  }
}

TEST_CASE("a probe without the mark is placed in INBOX, Junk watched and untouched",
          "[e2e][junk]") {
  const auto inbox = mc::e2e::mailbox_snapshot("probe");
  const auto junk = junk_texts();
  const auto r = mc::e2e::run(round_trip(false, json::object()));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["placement"] == "inbox");
  CHECK(sc["placement_mailbox"] == "INBOX");
  CHECK(step_named(sc, "imap.wait")["junk_mailbox"] == "Junk");
  clean(sc["token"], inbox, junk);
}
