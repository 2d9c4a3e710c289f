// End-to-end: a probe that Postfix accepts and then cannot deliver (bounce.test: no recipient
// validation at RCPT time, Dovecot's LMTP knows nobody there) comes back to the probe's INBOX
// as Postfix's own delivery status notification, and the DSN reader reads that real file.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>

#include "protocols/mime/dsn.hpp"
#include "tests/e2e/platform.hpp"
#include "tests/support/run_binary.hpp"

namespace fs = std::filesystem;
using mc::e2e::var;
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
