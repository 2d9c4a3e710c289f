// End-to-end: SASL against the tier's Dovecot, which offers SCRAM-SHA-256 beside PLAIN and LOGIN
// (MC_WITH_SCRAM in tests/e2e/fixture.sh), for IMAP and, through Postfix's Dovecot SASL, for
// submission. The probe prefers SCRAM-SHA-256 and verifies the server's signature; an account's
// "mechanism" picks another; one the server does not offer fails as auth_failed.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/platform.hpp"

using mc::e2e::run;
using mc::e2e::scenario_file;
using nlohmann::json;

namespace {

json roundtrip(const std::string& mechanism) {
  const json steps = json::array({{{"step", "smtp.send"}, {"server", "out"}, {"account", "probe"}},
                                  {{"step", "imap.wait"},
                                   {"server", "store"},
                                   {"account", "probe"},
                                   {"poll_interval", "100ms"}},
                                  {{"step", "imap.delete"}}});
  json f = scenario_file(steps, "sasl");
  if (!mechanism.empty()) f["accounts"]["probe"]["mechanism"] = mechanism;
  return f;
}

}  // namespace

TEST_CASE("SCRAM-SHA-256 is preferred where offered, on submission and IMAP", "[e2e][sasl]") {
  const auto r = run(roundtrip(""), {}, {"-v"});
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 0);
  REQUIRE(r.result.is_object());
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["status"] == "ok");
  CHECK(sc["steps"][0]["auth_mechanism"] == "SCRAM-SHA-256");
  CHECK(sc["steps"][1]["auth_mechanism"] == "SCRAM-SHA-256");
  CHECK(r.ran.err.find("AUTH SCRAM-SHA-256 <redacted>") != std::string::npos);
  CHECK(r.ran.err.find("AUTHENTICATE SCRAM-SHA-256 <redacted>") != std::string::npos);
  CHECK(r.ran.err.find(mc::e2e::probe_password()) == std::string::npos);
  CHECK(r.ran.out.find(mc::e2e::probe_password()) == std::string::npos);
}

TEST_CASE("an account's mechanism is used although SCRAM is offered", "[e2e][sasl]") {
  const auto r = run(roundtrip("plain"));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 0);
  REQUIRE(r.result.is_object());
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["steps"][0]["auth_mechanism"] == "PLAIN");
  CHECK(sc["steps"][1]["auth_mechanism"] == "PLAIN");
}

TEST_CASE("a wrong password over SCRAM is auth_failed at the mailbox's login", "[e2e][sasl]") {
  const auto r = run(roundtrip(""), {{"MC_E2E_PASSWORD", "not-the-password"}});
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  const json& f = r.result["scenarios"][0]["failure"];
  CHECK(f["step"] == "imap.wait");
  CHECK(f["phase"] == "login");
  CHECK(f["reason"] == "auth_failed");
  CHECK(f["message"] == "AUTHENTICATE SCRAM-SHA-256 failed");
}

TEST_CASE("a mechanism the server does not offer is auth_failed, naming what it offers",
          "[e2e][sasl]") {
  const auto r = run(roundtrip("scram-sha-1"));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  const json& f = r.result["scenarios"][0]["failure"];
  CHECK(f["reason"] == "auth_failed");
  CHECK(f["message"].get<std::string>().find("SCRAM-SHA-1") != std::string::npos);
  CHECK(f["message"].get<std::string>().find("SCRAM-SHA-256") != std::string::npos);
}
