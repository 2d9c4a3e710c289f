// Integration: what must never happen, against scripted fake servers on 127.0.0.1 — a password
// in clear, a command smuggled in an address, a scenario that connects after the deadline.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/integration/safety_support.hpp"

using namespace safety_support;

TEST_CASE("STARTTLS stripped: optional STARTTLS never sends the password in clear", "[safety]") {
  const std::string dir = mc::test::make_temp_dir("mc-safety");
  FakeServer s([](Conn& c, int) {
    stripped_banner_and_ehlo(c);
    while (c.line()) {
    }
  });
  const json servers = {
      {"submission",
       {{"url", "smtp://127.0.0.1:" + std::to_string(s.port())}, {"starttls", "optional"}}}};
  const Ran r = run(dir, file_with(servers, json::array({submission_step()})));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  CHECK(r.scenario()["failure"]["reason"] == "starttls_unavailable");
  CHECK(r.scenario()["failure"]["phase"] == "starttls");
  const std::string sent = s.received().at(0);
  CHECK(sent.find("AUTH") == std::string::npos);
  CHECK(sent.find(kSentinelPlain) == std::string::npos);
  CHECK(sent.find(kSentinel) == std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("allow_plaintext_auth: AUTH in clear only then, shown in the result and warned about",
          "[safety]") {
  const std::string dir = mc::test::make_temp_dir("mc-safety");
  FakeServer s([](Conn& c, int) {
    stripped_banner_and_ehlo(c);
    c.expect("AUTH PLAIN");
    c.send("235 2.7.0 ok\r\n");
    c.expect("MAIL FROM");
    c.send("250 ok\r\n");
    c.expect("RCPT TO");
    c.send("250 ok\r\n");
    c.expect("DATA");
    c.send("354 go\r\n");
    while (auto l = c.line())
      if (*l == ".") break;
    c.send("250 2.0.0 Ok: queued as PLAIN1\r\n");
    c.expect("QUIT");
    c.send("221 bye\r\n");
  });
  const json servers = {{"submission",
                         {{"url", "smtp://127.0.0.1:" + std::to_string(s.port())},
                          {"starttls", "optional"},
                          {"allow_plaintext_auth", true}}}};
  const Ran r = run(dir, file_with(servers, json::array({submission_step()})));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 0);
  REQUIRE(r.result.is_object());
  CHECK(r.scenario()["steps"][0]["plaintext_auth"] == true);
  CHECK(r.scenario()["steps"][0]["queue_id"] == "PLAIN1");
  REQUIRE(r.result["warnings"].size() == 1);
  CHECK(r.result["warnings"][0].get<std::string>().find("allow_plaintext_auth") !=
        std::string::npos);
  CHECK(r.ran.err.find("warning:") != std::string::npos);
  CHECK(s.received().at(0).find("AUTH PLAIN " + kSentinelPlain) != std::string::npos);
  // Only the wire: no output of mailcanary's shows it.
  CHECK(r.ran.out.find(kSentinel) == std::string::npos);
  CHECK(r.ran.err.find(kSentinelPlain) == std::string::npos);
  CHECK(r.result.dump().find(kSentinelPlain) == std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("CR LF in an address: exit 3 before anything is sent, from validate and run",
          "[safety]") {
  const std::string dir = mc::test::make_temp_dir("mc-safety");
  std::atomic<int> connections{0};
  FakeServer s([&](Conn&, int) { ++connections; });
  json step = submission_step();
  step["from"] = "probe@example.test\r\nRCPT TO:<victim@example.test>";
  const json servers = {{"submission", {{"url", "smtp://127.0.0.1:" + std::to_string(s.port())}}}};
  mc::test::write_file(dir + "/s.json", file_with(servers, json::array({step})).dump(2));
  const auto v = mc::test::run_program(MAILCANARY_BIN, {"validate", dir + "/s.json"},
                                       {{"MC_SAFETY_PW", kSentinel}});
  CHECK(v.exit_code == 3);
  CHECK(v.err.find("(scenarios[0].steps[0].from): \"probe@example.test\\r\\nRCPT "
                   "TO:<victim@example.test>\" is not a valid mail address: it contains a line "
                   "break") != std::string::npos);
  const Ran r = run(dir, file_with(servers, json::array({step})));
  CHECK(r.ran.exit_code == 3);
  CHECK(r.ran.err.find("nothing was sent") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(connections == 0);
  fs::remove_all(dir);
}

TEST_CASE(
    "a scenario still queued at the deadline is reported as never started and never "
    "connects",
    "[safety]") {
  const std::string dir = mc::test::make_temp_dir("mc-safety");
  std::atomic<int> connections{0};
  FakeServer hang(
      [&](Conn& c, int) {
        ++connections;
        c.hang();
      },
      2);
  const json servers = {
      {"mx", {{"url", "smtp://127.0.0.1:" + std::to_string(hang.port())}, {"starttls", "off"}}}};
  json file = file_with(servers, json::array({{{"step", "smtp.send"},
                                               {"server", "mx"},
                                               {"from", "probe@example.test"},
                                               {"to", {"probe@example.test"}}}}));
  file["scenarios"].push_back(file["scenarios"][0]);
  file["scenarios"][1]["name"] = "queued";
  const Ran r = run(dir, file, {"--deadline", "1s", "--max-concurrency", "1"});
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result["scenarios"].size() == 2);
  CHECK(r.result["scenarios"][0]["failure"]["phase"] == "banner");
  const json& queued = r.result["scenarios"][1];
  CHECK(queued["status"] == "critical");
  CHECK(queued["failure"]["reason"] == "timeout");
  CHECK(queued["failure"]["phase"] == "queued");
  CHECK(queued["failure"]["message"].get<std::string>().rfind("never started", 0) == 0);
  CHECK(queued["steps"][0]["status"] == "skipped");
  CHECK(queued["steps"][0]["phases"].empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(connections == 1);
  fs::remove_all(dir);
}
