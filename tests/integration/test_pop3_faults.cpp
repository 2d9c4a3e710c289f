// Integration: pop3.wait and pop3.delete in the mailcanary binary against a scripted POP3
// server on 127.0.0.1, for what a real Dovecot will not do on demand: a connection dropped
// before QUIT's +OK (POP3 deletes at QUIT only, so nothing was deleted, and the result says so).
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

const std::string kSentinel = "sentinel-pop3-pw-7d21";

struct Outcome {
  mc::test::Ran ran;
  json result;
  std::string raw;      // the result document as written
  std::string metrics;  // the --textfile output
};

Outcome run(int smtp_port, int pop3_port) {
  const std::string dir = mc::test::make_temp_dir("mc-pop3");
  const json file = {
      {"version", 1},
      {"vantage", "test"},
      {"servers",
       {{"out", {{"url", "smtp://127.0.0.1:" + std::to_string(smtp_port)}, {"starttls", "off"}}},
        {"store",
         {{"url", "pop3://127.0.0.1:" + std::to_string(pop3_port)},
          {"starttls", "off"},
          {"allow_plaintext_auth", true}}}}},
      {"accounts",
       {{"probe", {{"user", "probe@example.test"}, {"password", {{"env", "MC_FAKE_PW"}}}}}}},
      {"scenarios", json::array({{{"name", "pop3"},
                                  {"timeout", "20s"},
                                  {"steps", json::array({{{"step", "smtp.send"},
                                                          {"server", "out"},
                                                          {"from", "probe@example.test"},
                                                          {"to", {"probe@example.test"}}},
                                                         {{"step", "pop3.wait"},
                                                          {"server", "store"},
                                                          {"account", "probe"},
                                                          {"timeout", "5s"},
                                                          {"poll_interval", "100ms"}},
                                                         {{"step", "pop3.delete"}}})}}})}};
  mc::test::write_file(dir + "/s.json", file.dump(2));
  Outcome o;
  o.ran = mc::test::run_program(MAILCANARY_BIN,
                                {"run", dir + "/s.json", "--json", dir + "/r.json", "--state-dir",
                                 dir + "/state", "--textfile", dir + "/m.prom"},
                                {{"MC_FAKE_PW", kSentinel}}, 60);
  if (fs::exists(dir + "/r.json")) {
    o.raw = mc::test::read_file(dir + "/r.json");
    o.result = json::parse(o.raw);
  }
  if (fs::exists(dir + "/m.prom")) o.metrics = mc::test::read_file(dir + "/m.prom");
  fs::remove_all(dir);
  return o;
}

// The token of the probe the fake SMTP server received.
std::string token_of(const std::string& smtp_bytes) {
  const std::string field = "X-Mailcanary-Token: ";
  const auto at = smtp_bytes.find(field);
  if (at == std::string::npos) return "";
  const auto start = at + field.size();
  return smtp_bytes.substr(start, smtp_bytes.find("\r\n", start) - start);
}

// A POP3 server of two messages, the newest (2) the probe. `drop_quit`: after a DELE, QUIT is
// met by a closed connection instead of its +OK.
void serve_pop3(Conn& c, FakeServer& smtp, bool drop_quit) {
  c.send("+OK fake POP3 ready\r\n");
  bool dele = false;
  while (auto l = c.line()) {
    const std::string& cmd = *l;
    auto starts = [&](const char* p) { return cmd.rfind(p, 0) == 0; };
    if (starts("CAPA")) {
      c.send("+OK\r\nUSER\r\nTOP\r\nUIDL\r\n.\r\n");
    } else if (starts("USER")) {
      c.send("+OK\r\n");
    } else if (starts("PASS")) {
      c.send(cmd == "PASS " + kSentinel ? "+OK logged in\r\n" : "-ERR [AUTH] no\r\n");
    } else if (starts("UIDL")) {
      c.send("+OK\r\n1 user-mail\r\n2 the-probe\r\n.\r\n");
    } else if (starts("TOP 2 0")) {
      c.send("+OK\r\nX-Mailcanary-Token: " + token_of(smtp.received().at(0)) +
             "\r\nSubject: probe\r\n\r\n.\r\n");
    } else if (starts("TOP 1 0")) {
      c.send("+OK\r\nSubject: the user's own\r\n\r\n.\r\n");
    } else if (starts("DELE")) {
      dele = true;
      c.send("+OK marked\r\n");
    } else if (starts("QUIT")) {
      if (dele && drop_quit) {
        c.close();
        return;
      }
      c.send("+OK bye\r\n");
      return;
    } else {
      c.send("-ERR unknown\r\n");
    }
  }
}

}  // namespace

TEST_CASE("pop3.delete: a connection dropped before QUIT's +OK deleted nothing, and says so",
          "[faults][pop3]") {
  FakeServer smtp([](Conn& c, int) { mc::test::smtp_transaction(c); });
  FakeServer pop3([&](Conn& c, int) { serve_pop3(c, smtp, true); }, 2);
  const Outcome o = run(smtp.port(), pop3.port());
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 2);
  REQUIRE(o.result.is_object());
  const json& sc = o.result["scenarios"][0];
  CHECK(sc["steps"][1]["status"] == "ok");
  CHECK(sc["steps"][1]["uidl"] == "the-probe");
  CHECK(sc["placement"] == "inbox");
  CHECK(sc["failure"]["step"] == "pop3.delete");
  CHECK(sc["failure"]["phase"] == "quit");
  CHECK(sc["failure"]["reason"] == "disconnected");
  CHECK(sc["steps"][2]["deleted"] == false);
  CHECK(sc["failure"]["message"].get<std::string>().find("not deleted") != std::string::npos);
  // Exactly the probe's message number was marked, and only after its header was read again.
  const std::string deleting = pop3.received().at(1);
  CHECK(deleting.find("TOP 2 0\r\nDELE 2\r\nQUIT\r\n") != std::string::npos);
  CHECK(deleting.find("DELE 1") == std::string::npos);
  CHECK(o.raw.find(kSentinel) == std::string::npos);
  CHECK(o.ran.err.find(kSentinel) == std::string::npos);
}

TEST_CASE("pop3.wait then pop3.delete: the probe's message deleted at QUIT", "[faults][pop3]") {
  FakeServer smtp([](Conn& c, int) { mc::test::smtp_transaction(c); });
  FakeServer pop3([&](Conn& c, int) { serve_pop3(c, smtp, false); }, 2);
  const Outcome o = run(smtp.port(), pop3.port());
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 0);
  REQUIRE(o.result.is_object());
  const json& sc = o.result["scenarios"][0];
  CHECK(sc["failure"].is_null());
  CHECK(sc["steps"][2]["deleted"] == true);
  CHECK(sc["delivery_s"].is_number());
  std::vector<std::string> phases;
  for (const auto& p : sc["steps"][2]["phases"]) phases.push_back(p["phase"]);
  // The phases reach the metrics as every step's do.
  for (const char* phase : {"login", "search", "fetch", "store", "quit"})
    CHECK(o.metrics.find("mailcanary_phase_duration_seconds{scenario=\"pop3\",step=\"pop3.delete\","
                         "phase=\"" +
                         std::string(phase) + "\"") != std::string::npos);
  CHECK(phases == std::vector<std::string>{"resolve", "connect", "greeting", "capability", "login",
                                           "search", "fetch", "store", "quit"});
}
