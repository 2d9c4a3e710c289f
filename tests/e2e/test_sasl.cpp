// End-to-end: SCRAM-SHA-256 against a real Dovecot. The tier's second Dovecot (MC_WITH_SASL in
// tests/e2e/fixture.sh, tests/e2e/sasl.sh) offers it beside PLAIN and LOGIN to scram@, whose
// password is stored as {SCRAM-SHA-256}; the probe is sent over the main submission and looked
// for over IMAP and POP3 logging in with SCRAM, which the probe prefers and whose server
// signature it verifies. A wrong password is auth_failed; the sentinel password is in no output.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/platform.hpp"

using mc::e2e::run;
using mc::e2e::url;
using mc::e2e::var;
using nlohmann::json;

namespace {

// smtp.send from the probe to scram@, then `kind`.wait and `kind`.delete as scram@ on the
// SCRAM Dovecot.
json scram_file(const std::string& kind, const std::string& mechanism = "") {
  const std::string scram = var("MC_SCRAM_USER");
  const json steps = json::array(
      {{{"step", "smtp.send"}, {"server", "out"}, {"account", "probe"}, {"to", {scram}}},
       {{"step", kind + ".wait"},
        {"server", "sasl"},
        {"account", "scram"},
        {"timeout", "30s"},
        {"poll_interval", "200ms"}},
       {{"step", kind + ".delete"}}});
  json f = mc::e2e::scenario_file(steps, "scram-" + kind);
  f["servers"]["sasl"] = {{"url", kind == "imap" ? url("imaps", "MC_SASL_IMAPS_PORT")
                                                 : url("pop3s", "MC_SASL_POP3S_PORT")}};
  // The SCRAM account shares the probe's password (sasl.sh), in its own variable so a test can
  // make it wrong alone.
  f["accounts"]["scram"] = {{"user", scram}, {"password", {{"env", "MC_E2E_SCRAM_PASSWORD"}}}};
  if (!mechanism.empty()) f["accounts"]["scram"]["mechanism"] = mechanism;
  return f;
}

mc::e2e::Run run_scram(const json& f, const std::string& password, bool verbose = false) {
  std::vector<std::string> extra;
  if (verbose) extra.push_back("-v");
  return run(f, {{"MC_E2E_SCRAM_PASSWORD", password}}, extra);
}

void logs_in_with_scram(const std::string& kind) {
  const auto r = run_scram(scram_file(kind), mc::e2e::probe_password(), true);
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 0);
  REQUIRE(r.result.is_object());
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["status"] == "ok");
  CHECK(sc["steps"][0]["auth_mechanism"] == "PLAIN");  // the main platform offers no SCRAM
  CHECK(sc["steps"][1]["auth_mechanism"] == "SCRAM-SHA-256");
  CHECK(sc["steps"][2]["status"] == "ok");
  const std::string shown =
      kind == "imap" ? "AUTHENTICATE SCRAM-SHA-256 <redacted>" : "AUTH SCRAM-SHA-256 <redacted>";
  CHECK(r.ran.err.find(shown) != std::string::npos);
  CHECK(r.ran.err.find(mc::e2e::probe_password()) == std::string::npos);
  CHECK(r.ran.out.find(mc::e2e::probe_password()) == std::string::npos);
}

void wrong_password_fails(const std::string& kind) {
  const std::string wrong = "wr0ng-Sentinel-9d2e";
  const auto r = run_scram(scram_file(kind), wrong, true);
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  const json& f = r.result["scenarios"][0]["failure"];
  CHECK(f["step"] == kind + ".wait");
  CHECK(f["phase"] == "login");
  CHECK(f["reason"] == "auth_failed");
  CHECK(r.result["scenarios"][0]["steps"][1]["auth_mechanism"] == "SCRAM-SHA-256");
  CHECK(r.ran.err.find(wrong) == std::string::npos);
  CHECK(r.ran.out.find(wrong) == std::string::npos);
}

}  // namespace

TEST_CASE("IMAP logs in with SCRAM-SHA-256 where Dovecot offers it", "[e2e][sasl]") {
  logs_in_with_scram("imap");
}

TEST_CASE("POP3 logs in with SCRAM-SHA-256 where Dovecot offers it", "[e2e][sasl]") {
  logs_in_with_scram("pop3");
}

TEST_CASE("a wrong password over SCRAM is auth_failed at the login, IMAP and POP3", "[e2e][sasl]") {
  wrong_password_fails("imap");
  wrong_password_fails("pop3");
}

TEST_CASE("the account's mechanism is used although SCRAM is offered", "[e2e][sasl]") {
  for (const std::string kind : {"imap", "pop3"}) {
    const auto r = run_scram(scram_file(kind, "plain"), mc::e2e::probe_password());
    INFO(kind << "\n" << r.ran.out << r.ran.err);
    CHECK(r.ran.exit_code == 0);
    REQUIRE(r.result.is_object());
    CHECK(r.result["scenarios"][0]["steps"][1]["auth_mechanism"] == "PLAIN");
  }
}

TEST_CASE("a mechanism the server does not offer is auth_failed, naming what it offers",
          "[e2e][sasl]") {
  const auto r = run_scram(scram_file("imap", "scram-sha-1"), mc::e2e::probe_password());
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  const json& f = r.result["scenarios"][0]["failure"];
  CHECK(f["reason"] == "auth_failed");
  CHECK(f["message"].get<std::string>().find("SCRAM-SHA-1") != std::string::npos);
  CHECK(f["message"].get<std::string>().find("SCRAM-SHA-256") != std::string::npos);
}
