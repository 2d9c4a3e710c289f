// End-to-end: smtp.send's policy probes and greylisting retries against the real Postfix: the
// MX refuses relaying (554 5.7.1 Relay access denied), submission without TLS offers no AUTH,
// a forged From is refused (reject_sender_login_mismatch), and a greylisting policy server
// (check_policy_service, tests/support/greylist_policy.cpp) defers the first RCPT.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/e2e/platform.hpp"
#include "tests/support/run_binary.hpp"

using mc::e2e::run;
using mc::e2e::url;
using mc::e2e::var;
using nlohmann::json;

namespace {

// The tier's scenario file with one more server, `name`, and these steps.
json file_with(const json& steps, const std::string& name, const json& server) {
  json f = mc::e2e::scenario_file(steps, "policy");
  f["servers"][name] = server;
  return f;
}

const json& send_step(const mc::e2e::Run& r) {
  return r.result["scenarios"][0]["steps"][0];
}

std::string unique(const std::string& prefix) {
  return prefix + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

double phase_seconds(const json& step, const std::string& name) {
  for (const auto& p : step["phases"])
    if (p["phase"] == name) return p["duration_s"].get<double>();
  return -1;
}

json mx() {
  return {{"url", url("smtp", "MC_MX_PORT")}, {"starttls", "optional"}};
}

}  // namespace

TEST_CASE("the MX refuses relaying: a policy probe for a foreign domain succeeds",
          "[e2e][policy]") {
  const json steps = json::array({{{"step", "smtp.send"},
                                   {"server", "mx"},
                                   {"from", "probe@example.org"},
                                   {"to", {"someone@foreign.example"}},
                                   {"expect", {{"reject", "rcpt"}, {"code", "5.7.1"}}}}});
  const auto r = run(file_with(steps, "mx", mx()));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 0);
  REQUIRE(r.result.is_object());
  const json& refused = send_step(r)["refused"];
  CHECK(refused["stage"] == "rcpt");
  CHECK(refused["code"] == 554);
  CHECK(refused["enhanced"] == "5.7.1");
  CHECK(refused["text"].get<std::string>().find("Relay access denied") != std::string::npos);
}

TEST_CASE("the MX refuses relaying: an expectation of another stage fails and says where",
          "[e2e][policy]") {
  const json steps = json::array({{{"step", "smtp.send"},
                                   {"server", "mx"},
                                   {"from", "probe@example.org"},
                                   {"to", {"someone@foreign.example"}},
                                   {"expect", {{"reject", "mail"}}}}});
  const auto r = run(file_with(steps, "mx", mx()));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  const json& f = r.result["scenarios"][0]["failure"];
  CHECK(f["reason"] == "rejected");
  CHECK(f["phase"] == "rcpt_to");
  CHECK(f["message"].get<std::string>().find("refused at rcpt instead") != std::string::npos);
}

TEST_CASE("mail the MX takes is `accepted` for a policy probe, and never delivered",
          "[e2e][policy]") {
  const std::string from = unique("accepted-") + "@example.org";
  const json steps = json::array({{{"step", "smtp.send"},
                                   {"server", "mx"},
                                   {"from", from},
                                   {"to", {"probe@example.test"}},
                                   {"expect", "reject"}}});
  const auto r = run(file_with(steps, "mx", mx()));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  const json& f = r.result["scenarios"][0]["failure"];
  CHECK(f["reason"] == "accepted");
  CHECK(f["phase"] == "rcpt_to");
  CHECK(f["reply"]["code"] == 250);
  CHECK(send_step(r)["accepted"]["stage"] == "rcpt");
  // Postfix logs no queue entry from this sender: the transaction was reset before DATA.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CHECK(mc::test::read_file(var("MC_POSTFIX_LOG")).find("from=<" + from + ">") ==
        std::string::npos);
  CHECK(mc::e2e::messages_with("probe", from) == 0);
}

TEST_CASE("submission without TLS offers no AUTH: a refusal at auth succeeds", "[e2e][policy]") {
  const json clear = {{"url", url("smtp", "MC_SUBMISSION_PORT")},
                      {"starttls", "off"},
                      {"allow_plaintext_auth", true}};
  const json steps = json::array({{{"step", "smtp.send"},
                                   {"server", "clear"},
                                   {"account", "probe"},
                                   {"expect", {{"reject", "auth"}}}}});
  const auto r = run(file_with(steps, "clear", clear));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 0);
  REQUIRE(r.result.is_object());
  CHECK(send_step(r)["refused"]["stage"] == "auth");
  CHECK(r.ran.out.find(mc::e2e::probe_password()) == std::string::npos);
}

TEST_CASE("a forged From is refused by reject_sender_login_mismatch", "[e2e][policy]") {
  const json checked = {{"url", url("smtp", "MC_SENDER_CHECK_PORT")}};
  json step = {{"step", "smtp.send"},          {"server", "checked"},
               {"account", "probe"},           {"from", "ceo@example.test"},
               {"to", {"probe@example.test"}}, {"expect", {{"reject", "any"}, {"code", "5.7.1"}}}};
  const auto r = run(file_with(json::array({step}), "checked", checked));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 0);
  REQUIRE(r.result.is_object());
  const json& refused = send_step(r)["refused"];
  CHECK(refused["stage"] == "rcpt");  // Postfix's smtpd_delay_reject: sender checks at RCPT
  CHECK(refused["code"] == 553);
  CHECK(refused["text"].get<std::string>().find("not owned by user") != std::string::npos);

  // The probe's own address is not refused there: the same probe is `accepted`, and not sent.
  step["from"] = "probe@example.test";
  const auto own = run(file_with(json::array({step}), "checked", checked));
  INFO(own.ran.out << own.ran.err);
  CHECK(own.ran.exit_code == 2);
  REQUIRE(own.result.is_object());
  CHECK(own.result["scenarios"][0]["failure"]["reason"] == "accepted");
}

TEST_CASE("a greylisting policy server: the retry after its delay is delivered and found",
          "[e2e][policy]") {
  const json grey = {{"url", url("smtp", "MC_GREYLIST_PORT")}, {"starttls", "optional"}};
  const std::string from = unique("grey-") + "@example.org";
  const json steps = json::array({{{"step", "smtp.send"},
                                   {"server", "grey"},
                                   {"from", from},
                                   {"to", {"probe@example.test"}},
                                   {"greylist", "retry"},
                                   {"timeout", "30s"}},
                                  {{"step", "imap.wait"},
                                   {"server", "store"},
                                   {"account", "probe"},
                                   {"timeout", "30s"},
                                   {"poll_interval", "100ms"}},
                                  {{"step", "imap.delete"}}});
  const auto r = run(file_with(steps, "grey", grey));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 0);
  REQUIRE(r.result.is_object());
  const json& send = send_step(r);
  CHECK(send["greylisted"]["times"] == 1);
  const double delay = std::stod(var("MC_GREYLIST_DELAY_S"));
  CHECK(phase_seconds(send, "greylist_wait") >= delay - 0.01);
  CHECK(phase_seconds(send, "greylist_wait") < delay + 1);
  CHECK(r.result["scenarios"][0]["steps"][2]["status"] == "ok");
  const std::string log = mc::test::read_file(var("MC_GREYLIST_POLICY_LOG"));
  CHECK(log.find(from + "/probe@example.test DEFER_IF_PERMIT") != std::string::npos);
  CHECK(log.find(from + "/probe@example.test DUNNO") != std::string::npos);
}

TEST_CASE("a greylisting without greylist retry fails with the server's 450", "[e2e][policy]") {
  const json grey = {{"url", url("smtp", "MC_GREYLIST_PORT")}, {"starttls", "optional"}};
  const std::string from = unique("grey-fail-") + "@example.org";
  const json steps = json::array({{{"step", "smtp.send"},
                                   {"server", "grey"},
                                   {"from", from},
                                   {"to", {"probe@example.test"}}}});
  const auto r = run(file_with(steps, "grey", grey));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  const json& f = r.result["scenarios"][0]["failure"];
  CHECK(f["reason"] == "rejected");
  CHECK(f["phase"] == "rcpt_to");
  CHECK(f["reply"]["code"] == 450);
  CHECK(f["reply"]["enhanced"] == "4.7.1");
  CHECK(f["reply"]["text"].get<std::string>().find("Greylisted, try again in") !=
        std::string::npos);
}
