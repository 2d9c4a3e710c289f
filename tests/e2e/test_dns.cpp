// End-to-end: dns.mx and smtp.send "mx:DOMAIN:PORT" against the tier's dnsmasq
// (tests/e2e/dns/mx.conf) and its Postfix MX. mx.test's better MX is dead (127.0.0.2, nothing
// listens there), the other is the platform's MX by its IPv6 address (nothing listens there
// either) and its IPv4 one. Every file sends its lookups to the dnsmasq port only.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/platform.hpp"
#include "tests/support/fake_server.hpp"

using mc::e2e::var;
using nlohmann::json;

namespace {

json with_dns(json file) {
  file["dns"] = {{"servers", {"127.0.0.1:" + var("MC_DNS_PORT")}}, {"timeout", "2s"}};
  return file;
}

json mx_step(const std::string& domain, json expect = nullptr) {
  json s = {{"step", "dns.mx"}, {"domain", domain}};
  if (!expect.is_null()) s["expect"] = std::move(expect);
  return s;
}

json send_via(const std::string& domain) {
  return {{"step", "smtp.send"},
          {"server", "mx:" + domain + ":" + var("MC_MX_PORT")},
          {"from", "probe@example.test"},
          {"to", "probe@example.test"}};
}

const json kWait = {{"step", "imap.wait"}, {"server", "store"}, {"account", "probe"}};
const json kDelete = {{"step", "imap.delete"}};

const json& step_result(const json& result, std::size_t i) {
  return result["scenarios"][0]["steps"][i];
}

}  // namespace

TEST_CASE("dns.mx lists a domain's MX set with preferences, and checks its expectation",
          "[e2e][dns]") {
  const auto r = mc::e2e::run(with_dns(mc::e2e::scenario_file(
      json::array({mx_step("mx.test", {{"min", 2}, {"hosts", {"smtp.mx.test"}}})}))));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const json& st = step_result(r.result, 0);
  CHECK(st["status"] == "ok");
  CHECK(st["mx"] == json::parse(R"([{"preference": 10, "host": "dead.mx.test"},
                                    {"preference": 20, "host": "smtp.mx.test"}])"));
  CHECK(st["phases"][0]["phase"] == "resolve");

  const auto more = mc::e2e::run(
      with_dns(mc::e2e::scenario_file(json::array({mx_step("mx.test", {{"min", 3}})}))));
  CHECK(more.ran.exit_code == 2);
  CHECK(more.result["scenarios"][0]["failure"]["reason"] == "dns");
}

TEST_CASE("dns.mx fails as dns for a domain that does not exist or has no MX", "[e2e][dns]") {
  for (const char* domain : {"nothere.test", "nomx.test"}) {
    const auto r = mc::e2e::run(with_dns(mc::e2e::scenario_file(json::array({mx_step(domain)}))));
    INFO(domain << "\n" << r.ran.out << r.ran.err);
    CHECK(r.ran.exit_code == 2);
    const json& f = r.result["scenarios"][0]["failure"];
    CHECK(f["reason"] == "dns");
    CHECK(f["phase"] == "resolve");
    CHECK(f["message"].get<std::string>().find(domain) != std::string::npos);
  }
}

TEST_CASE("smtp.send mx: falls back from the dead MX to the live one, which delivers",
          "[e2e][dns]") {
  const auto r = mc::e2e::run(
      with_dns(mc::e2e::scenario_file(json::array({send_via("mx.test"), kWait, kDelete}))));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const json& st = step_result(r.result, 0);
  CHECK(st["status"] == "ok");
  CHECK(st["mx_host"] == "smtp.mx.test");
  CHECK(st["address"] == "127.0.0.1:" + var("MC_MX_PORT"));
  const json& attempts = st["mx_attempts"];
  REQUIRE(attempts.size() >= 2);
  CHECK(attempts[0]["mx"] == "dead.mx.test");
  CHECK(attempts[0]["preference"] == 10);
  CHECK(attempts[0]["address"] == "127.0.0.2");
  CHECK(attempts[0]["outcome"] == "connect_refused");
  CHECK(attempts.back()["mx"] == "smtp.mx.test");
  CHECK(attempts.back()["address"] == "127.0.0.1");
  CHECK(attempts.back()["outcome"] == "accepted");
  CHECK_FALSE(attempts.back()["phases"].empty());
  // One resolve phase (the MX and its hosts' addresses), then the taking attempt's phases.
  int resolves = 0;
  for (const auto& p : st["phases"]) resolves += p["phase"] == "resolve" ? 1 : 0;
  CHECK(resolves == 1);
  CHECK(st["phases"][1]["phase"] == "connect");
  // Found in the INBOX by imap.wait, then removed by imap.delete.
  CHECK(step_result(r.result, 1)["status"] == "ok");
  CHECK(mc::e2e::messages_with("probe", r.result["scenarios"][0]["token"]) == 0);
}

TEST_CASE("smtp.send mx: a domain without MX takes mail at its A record", "[e2e][dns]") {
  const auto r = mc::e2e::run(
      with_dns(mc::e2e::scenario_file(json::array({send_via("nomx.test"), kWait, kDelete}))));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const json& st = step_result(r.result, 0);
  CHECK(st["mx_host"] == "nomx.test");
  CHECK(st["mx_attempts"].size() == 1);
}

TEST_CASE("smtp.send mx: a domain whose only MX is dead fails, naming every attempt",
          "[e2e][dns]") {
  const auto r =
      mc::e2e::run(with_dns(mc::e2e::scenario_file(json::array({send_via("dead.test")}))));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  const json& f = r.result["scenarios"][0]["failure"];
  CHECK(f["reason"] == "connect_refused");
  const json& st = step_result(r.result, 0);
  REQUIRE(st["mx_attempts"].size() == 1);
  CHECK(st["mx_attempts"][0]["address"] == "127.0.0.2");
}

TEST_CASE("a server with \"ip\": \"4\" connects over IPv4 only, and says so", "[e2e][dns]") {
  json file = with_dns(mc::e2e::scenario_file(json::array({mx_step("mx.test")})));
  file["servers"]["mx"] = {
      {"url", "smtp://smtp.mx.test:" + var("MC_MX_PORT")}, {"ip", "4"}, {"starttls", "off"}};
  file["scenarios"][0]["steps"] = json::array({{{"step", "smtp.send"},
                                                {"server", "mx"},
                                                {"from", "probe@example.test"},
                                                {"to", "probe@example.test"}},
                                               kWait,
                                               kDelete});
  const auto r = mc::e2e::run(file);
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const json& st = step_result(r.result, 0);
  CHECK(st["address"] == "127.0.0.1:" + var("MC_MX_PORT"));
  CHECK(st["ip"] == "4");
}

namespace {

// The better MX of busy.test / refuses.test (tests/e2e/dns/mx.conf): a scripted server on
// `address`, the platform's MX port, answering RCPT with `reply`; it records whether a DATA
// came, and ends as a server does after a refusal (RSET, QUIT).
mc::test::FakeServer refusing_mx(const std::string& address, const std::string& reply) {
  return mc::test::FakeServer(
      [reply](mc::test::Conn& c, int) {
        c.send("220 refusing.mx.test ESMTP\r\n");
        if (!c.expect("EHLO")) return;
        c.send("250-refusing.mx.test\r\n250 8BITMIME\r\n");
        if (!c.expect("MAIL FROM:")) return;
        c.send("250 2.1.0 Ok\r\n");
        if (!c.expect("RCPT TO:")) return;
        c.send(reply);
        for (auto line = c.line(); line; line = c.line()) {
          if (line->rfind("QUIT", 0) == 0) {
            c.send("221 2.0.0 Bye\r\n");
            return;
          }
          c.send(line->rfind("RSET", 0) == 0 ? "250 2.0.0 Ok\r\n" : "503 5.5.1 Error\r\n");
        }
      },
      1, address, std::stoi(var("MC_MX_PORT")));
}

}  // namespace

TEST_CASE("smtp.send mx: a 4xx from the better MX falls back to the next, which delivers",
          "[e2e][dns]") {
  auto busy = refusing_mx("127.0.0.3", "450 4.2.1 Mailbox busy, try again later\r\n");
  const auto r = mc::e2e::run(
      with_dns(mc::e2e::scenario_file(json::array({send_via("busy.test"), kWait, kDelete}))));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const json& st = step_result(r.result, 0);
  CHECK(st["mx_host"] == "smtp.mx.test");
  const json& attempts = st["mx_attempts"];
  REQUIRE(attempts.size() >= 2);
  CHECK(attempts[0]["mx"] == "busy.mx.test");
  CHECK(attempts[0]["address"] == "127.0.0.3");
  CHECK(attempts[0]["outcome"] != "accepted");
  CHECK(attempts[0]["reply"]["code"] == 450);
  CHECK(attempts[0]["reply"]["enhanced"] == "4.2.1");
  CHECK(attempts.back()["outcome"] == "accepted");
  const std::string said = busy.received().at(0);
  CHECK(said.find("DATA") == std::string::npos);
  CHECK(said.find("QUIT") != std::string::npos);
  CHECK(mc::e2e::messages_with("probe", r.result["scenarios"][0]["token"]) == 0);
}

TEST_CASE("smtp.send mx: a 5xx from the better MX is final: no other MX gets the probe",
          "[e2e][dns]") {
  auto refuses = refusing_mx("127.0.0.4", "550 5.7.1 Relaying denied for this sender\r\n");
  const auto r = mc::e2e::run(
      with_dns(mc::e2e::scenario_file(json::array({send_via("refuses.test"), kWait, kDelete}))));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["failure"]["reason"] == "rejected");
  CHECK(sc["failure"]["reply"]["code"] == 550);
  CHECK(sc["failure"]["phase"] == "rcpt_to");
  const json& st = step_result(r.result, 0);
  REQUIRE(st["mx_attempts"].size() == 1);
  CHECK(st["mx_attempts"][0]["mx"] == "refuses.mx.test");
  const std::string said = refuses.received().at(0);
  CHECK(said.find("DATA") == std::string::npos);
  CHECK(said.find("QUIT") != std::string::npos);
  // The live MX never saw it: nothing with the run's token reached the mailbox.
  CHECK(mc::e2e::messages_with("probe", sc["token"]) == 0);
}
