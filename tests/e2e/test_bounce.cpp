// End-to-end: a probe that Postfix accepts and then cannot deliver (bounce.test: no recipient
// validation at RCPT time, Dovecot's LMTP knows nobody there) comes back to the probe's INBOX
// as Postfix's own delivery status notification, and the DSN reader reads that real file.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "protocols/mime/dsn.hpp"
#include "tests/e2e/platform.hpp"
#include "tests/support/run_binary.hpp"

namespace fs = std::filesystem;
using mc::e2e::var;
using nlohmann::json;
using namespace mc::proto::mime;

TEST_CASE("a probe to an unknown recipient bounces, and Postfix's DSN reads as its bounce",
          "[e2e][bounce]") {
  const std::string to = "nobody@" + var("MC_BOUNCE_DOMAIN");
  const auto r = mc::e2e::run(mc::e2e::send_only(to));
  INFO(r.ran.out << r.ran.err);
  // Accepted at RCPT time: the submission itself succeeds.
  REQUIRE(r.ran.exit_code == 0);
  const std::string token = r.result["scenarios"][0]["token"];
  REQUIRE(token.size() == 32);

  // The probe's INBOX file that holds a delivery report about the token.
  const fs::path file = mc::e2e::wait_for_message(
      mc::e2e::maildir("probe"), {token, "multipart/report"}, std::chrono::seconds(30));
  REQUIRE_FALSE(file.empty());
  const std::string text = mc::test::read_file(file.string());
  fs::remove(file);  // the mailbox is left as clean as it was
  INFO(text);

  REQUIRE(may_be_dsn(text));
  const Dsn d = parse_dsn(text);
  CHECK(d.form == DsnForm::rfc3464);
  CHECK(d.is_bounce());
  CHECK(d.reporting_mta == var("MC_MAIL_HOSTNAME"));
  CHECK_FALSE(d.arrival_date.empty());
  REQUIRE(d.primary() != nullptr);
  const DsnRecipient& rcpt = *d.primary();
  CHECK(rcpt.action == DsnAction::failed);
  CHECK(rcpt.status == "5.1.1");
  CHECK(rcpt.final_recipient == to);
  CHECK(rcpt.diagnostic_type == "smtp");
  CHECK(rcpt.smtp_code == 550);
  CHECK(rcpt.diagnostic.find("5.1.1") != std::string::npos);
  CHECK(d.returns_token(token));
  CHECK_FALSE(d.returns_token(std::string(32, '0')));

  const mc::ServerReply reply = bounce_reply(d);
  CHECK(reply.enhanced == "5.1.1");
  CHECK(reply.code == 550);
  CHECK(reply.text.find("(reported by " + var("MC_MAIL_HOSTNAME") + ")") != std::string::npos);

  CHECK(mc::e2e::messages_with("probe", token) == 0);
}

namespace {

// smtp.send to an unknown recipient at the bounce domain, imap.wait on the probe's INBOX (where
// the DSN comes back) with `wait_keys`, imap.delete.
json bounce_round(const json& wait_keys) {
  json wait = {{"step", "imap.wait"}, {"server", "store"}, {"account", "probe"}};
  wait.update(wait_keys);
  return mc::e2e::scenario_file(
      json::array({{{"step", "smtp.send"},
                    {"server", "out"},
                    {"account", "probe"},
                    {"to", json::array({"nobody@" + var("MC_BOUNCE_DOMAIN")})}},
                   wait,
                   {{"step", "imap.delete"}}}),
      "bounce");
}

const json* step_named(const json& scenario, const std::string& name) {
  for (const auto& st : scenario["steps"])
    if (st["step"] == name) return &st;
  return nullptr;
}

}  // namespace

TEST_CASE("imap.wait fails at once as bounced with the DSN's words, and imap.delete removes it",
          "[e2e][bounce]") {
  const auto before = mc::e2e::mailbox_snapshot("probe");
  const auto r = mc::e2e::run(bounce_round({{"timeout", "30s"}}));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 2);
  const json& sc = r.result["scenarios"][0];
  const std::string token = sc["token"];
  REQUIRE(sc["failure"].is_object());
  const json& f = sc["failure"];
  CHECK(f["step"] == "imap.wait");
  CHECK(f["reason"] == "bounced");
  CHECK(f["reply"]["enhanced"] == "5.1.1");
  CHECK(f["reply"]["code"] == 550);
  CHECK(f["reply"]["text"].get<std::string>().find("reported by " + var("MC_MAIL_HOSTNAME")) !=
        std::string::npos);
  CHECK(f["message"].get<std::string>().find("nobody@" + var("MC_BOUNCE_DOMAIN")) !=
        std::string::npos);
  // Found as soon as it came, not after the 30 s timeout.
  const json* wait = step_named(sc, "imap.wait");
  REQUIRE(wait != nullptr);
  CHECK((*wait)["duration_s"].get<double>() < 20);
  // The DSN carries the token: imap.delete ran after the failure and removed it, and nothing
  // else in the mailbox changed.
  const json* del = step_named(sc, "imap.delete");
  REQUIRE(del != nullptr);
  CHECK((*del)["status"] == "ok");
  CHECK(mc::e2e::messages_with("probe", token) == 0);
  CHECK(mc::e2e::mailbox_snapshot("probe") == before);
}

TEST_CASE("expect bounce: the DSN is the success, its delay measured, and it is removed",
          "[e2e][bounce]") {
  const auto before = mc::e2e::mailbox_snapshot("probe");
  const auto r = mc::e2e::run(bounce_round({{"timeout", "30s"}, {"expect", {{"bounce", true}}}}));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["failure"].is_null());
  REQUIRE(sc.contains("delivery_s"));
  CHECK(sc["delivery_s"].get<double>() > 0);
  CHECK(sc["delivery_s"].get<double>() < 20);
  const json* wait = step_named(sc, "imap.wait");
  REQUIRE(wait != nullptr);
  REQUIRE((*wait).contains("bounce"));
  CHECK((*wait)["bounce"]["status"] == "5.1.1");
  CHECK(mc::e2e::messages_with("probe", sc["token"]) == 0);
  CHECK(mc::e2e::mailbox_snapshot("probe") == before);
}
