// Integration: smtp.send's policy probes and greylisting retries, the binary against scripted
// SMTP servers on 127.0.0.1: a server that greylists once and then accepts, an open relay that a
// policy probe must not use, and a relay refusal that is the probe's success.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/fake_server.hpp"
#include "tests/support/run_binary.hpp"

namespace fs = std::filesystem;
using mc::test::Conn;
using mc::test::FakeServer;
using nlohmann::json;

namespace {

struct Outcome {
  mc::test::Ran ran;
  json result;
  const json& scenario() const { return result["scenarios"][0]; }
  const json& send() const { return result["scenarios"][0]["steps"][0]; }
};

Outcome run(int port, const json& send_keys) {
  const std::string dir = mc::test::make_temp_dir("mc-policy");
  json step = {{"step", "smtp.send"},
               {"server", "mx"},
               {"from", "probe@example.test"},
               {"to", {"probe@example.test"}}};
  step.update(send_keys);
  const json file = {
      {"version", 1},
      {"vantage", "test"},
      {"servers",
       {{"mx", {{"url", "smtp://127.0.0.1:" + std::to_string(port)}, {"starttls", "off"}}}}},
      {"scenarios",
       json::array({{{"name", "policy"}, {"timeout", "20s"}, {"steps", json::array({step})}}})}};
  mc::test::write_file(dir + "/s.json", file.dump(2));
  Outcome o;
  o.ran = mc::test::run_program(
      MAILCANARY_BIN,
      {"run", dir + "/s.json", "--json", dir + "/r.json", "--state-dir", dir + "/state"}, {}, 60);
  if (fs::exists(dir + "/r.json")) o.result = json::parse(mc::test::read_file(dir + "/r.json"));
  fs::remove_all(dir);
  return o;
}

void open_up_to_rcpt(Conn& c) {
  c.send("220 fake ESMTP\r\n");
  c.expect("EHLO");
  c.send("250 fake\r\n");
  c.expect("MAIL FROM");
  c.send("250 2.1.0 Ok\r\n");
  c.expect("RCPT TO");
}

double phase_seconds(const json& step, const std::string& name) {
  for (const auto& p : step["phases"])
    if (p["phase"] == name) return p["duration_s"].get<double>();
  return -1;
}

}  // namespace

TEST_CASE("a server that greylists once is waited out, and the second session delivers",
          "[policy]") {
  FakeServer s(
      [](Conn& c, int index) {
        if (index == 0) {
          open_up_to_rcpt(c);
          c.send(
              "450 4.7.1 <probe@example.test>: Recipient address rejected: Greylisted, try "
              "again in 1 seconds\r\n");
          c.expect("QUIT");
          c.send("221 2.0.0 Bye\r\n");
          return;
        }
        mc::test::smtp_transaction(c);
      },
      2);
  const Outcome o = run(s.port(), {{"greylist", "retry"}});
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 0);
  REQUIRE(o.result.is_object());
  CHECK(o.scenario()["status"] == "ok");
  CHECK(o.send()["greylisted"]["times"] == 1);
  CHECK(phase_seconds(o.send(), "greylist_wait") >= 0.99);
  CHECK(phase_seconds(o.send(), "greylist_wait") < 3);
  CHECK(o.send()["queue_id"] == "FAKE1");
  const auto& received = s.received();
  REQUIRE(received.size() == 2);
  CHECK(received[0].find("DATA") == std::string::npos);
  CHECK(received[0].find("QUIT") != std::string::npos);
  CHECK(received[1].find("DATA") != std::string::npos);
}

TEST_CASE("an open relay: the policy probe is accepted at RCPT, reset, and never sent",
          "[policy]") {
  FakeServer s([](Conn& c, int) {
    open_up_to_rcpt(c);
    c.send("250 2.1.5 Ok\r\n");
    c.expect("RSET");
    c.send("250 2.0.0 Ok\r\n");
    c.expect("QUIT");
    c.send("221 2.0.0 Bye\r\n");
  });
  const Outcome o = run(s.port(), {{"to", {"someone@foreign.test"}}, {"expect", "reject"}});
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 2);
  REQUIRE(o.result.is_object());
  const json& f = o.scenario()["failure"];
  CHECK(f["reason"] == "accepted");
  CHECK(f["phase"] == "rcpt_to");
  CHECK(f["reply"]["code"] == 250);
  CHECK(o.send()["accepted"]["stage"] == "rcpt");
  const auto& received = s.received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].find("DATA") == std::string::npos);
  CHECK(received[0].find("RSET\r\nQUIT\r\n") != std::string::npos);
}

TEST_CASE("a relay refusal is the policy probe's success, with the refusal in the result",
          "[policy]") {
  FakeServer s([](Conn& c, int) {
    open_up_to_rcpt(c);
    c.send("554 5.7.1 <someone@foreign.test>: Relay access denied\r\n");
    c.expect("QUIT");
    c.send("221 2.0.0 Bye\r\n");
  });
  const Outcome o = run(s.port(), {{"to", {"someone@foreign.test"}},
                                   {"expect", {{"reject", "rcpt"}, {"code", "5.7.1"}}}});
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 0);
  REQUIRE(o.result.is_object());
  CHECK(o.scenario()["failure"].is_null());
  CHECK(o.send()["refused"]["code"] == 554);
  CHECK(o.send()["refused"]["enhanced"] == "5.7.1");
}

TEST_CASE("examples/policy-probes.json validates once its secrets are set", "[policy]") {
  const std::string file = std::string(MAILCANARY_SOURCE_DIR) + "/examples/policy-probes.json";
  const auto ok = mc::test::run_program(
      MAILCANARY_BIN, {"validate", file},
      {{"MAILCANARY_PROBE1_PASSWORD", "x"}, {"MAILCANARY_CLEAR_PROBE_PASSWORD", "y"}});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("ok (3 scenario(s))") != std::string::npos);
}
