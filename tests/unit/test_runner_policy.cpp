// smtp.send's policy probes and greylisting retries, whole scenarios on the scripted platform
// with the fake clock: a refusal where expected is a success, an acceptance is `accepted` and
// sends nothing, a refusal elsewhere says so; a greylisting is waited out on the clock.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "reporters/metrics.hpp"
#include "tests/unit/runner_bench.hpp"

using namespace runner_bench;

namespace {

std::string send_with(const std::string& keys) {
  return R"({ "step": "smtp.send", "server": "submission", "account": "probe", )" + keys + " }";
}

int count(const std::vector<std::string>& v, const std::string& what) {
  return static_cast<int>(std::count(v.begin(), v.end(), what));
}

const mc::Detail& detail(const mc::StepResult& s, const std::string& key) {
  const mc::Detail* d = s.detail(key);
  REQUIRE(d != nullptr);
  return *d;
}

double phase_seconds(const mc::StepResult& s, const std::string& name) {
  for (const auto& p : s.phases)
    if (p.name == name) return p.duration_s;
  FAIL("no phase " << name);
  return 0;
}

}  // namespace

TEST_CASE("policy: a refusal at the expected stage with the expected code is a success",
          "[runner][policy]") {
  Bench b;
  b.platform.rcpt_reply = "554 5.7.1 <x@foreign.test>: Relay access denied\r\n";
  const auto r = b.run(
      send_with(R"("to": "x@foreign.test", "expect": { "reject": "rcpt", "code": "5.7.1" })"));
  const auto& sc = r.scenarios.at(0);
  INFO((sc.failure ? sc.failure->failure.message : ""));
  CHECK(sc.status == mc::Status::ok);
  CHECK_FALSE(sc.failure);
  const auto& refused = detail(step(r, 0), "refused");
  CHECK(refused.value["stage"] == "rcpt");
  CHECK(refused.value["enhanced"] == "5.7.1");
  CHECK(refused.text ==
        "refused at rcpt as expected: 554 5.7.1 <x@foreign.test>: Relay access "
        "denied");
  const auto& cmds = b.platform.smtp_commands;
  CHECK(count(cmds, "DATA") == 0);
  CHECK(cmds.back() == "QUIT");
  CHECK_FALSE(sc.queued_at);
}

TEST_CASE("policy: \"expect\": \"reject\" takes any permanent refusal up to RCPT",
          "[runner][policy]") {
  Bench b;
  b.platform.rcpt_reply = "550 5.7.1 Sender not allowed\r\n";
  const auto r = b.run(send_with(R"("expect": "reject")"));
  CHECK(r.scenarios.at(0).status == mc::Status::ok);
  CHECK(detail(step(r, 0), "refused").value["code"] == 550);
}

TEST_CASE("policy: an accepted probe is `accepted`, reset with RSET and never sent",
          "[runner][policy]") {
  Bench b;
  const auto r = b.run(send_with(R"("to": "x@foreign.test", "expect": { "reject": "rcpt" })"));
  const auto& sc = r.scenarios.at(0);
  REQUIRE(sc.failure);
  CHECK(sc.status == mc::Status::critical);
  CHECK(sc.failure->failure.reason == mc::Reason::accepted);
  CHECK(sc.failure->failure.phase == "rcpt_to");
  CHECK(sc.failure->failure.message ==
        "expected a refusal at rcpt, but the server accepted RCPT TO (250 2.1.0 Ok); the "
        "transaction was reset with RSET and nothing was sent");
  REQUIRE(sc.failure->failure.reply);
  CHECK(sc.failure->failure.reply->code == 250);
  const auto& cmds = b.platform.smtp_commands;
  CHECK(count(cmds, "DATA") == 0);
  CHECK(count(cmds, "RSET") == 1);
  CHECK(cmds.back() == "QUIT");
  CHECK(detail(step(r, 0), "accepted").value["stage"] == "rcpt");
  CHECK_FALSE(step(r, 0).transcript.empty());
  CHECK(mc::render_metrics(r, {}, false).find("reason=\"accepted\"") != std::string::npos);
}

TEST_CASE("policy: an expected refusal of AUTH that is granted names what was accepted",
          "[runner][policy]") {
  Bench b;
  const auto r = b.run(send_with(R"("expect": { "reject": "auth" })"));
  const auto& f = r.scenarios.at(0).failure;
  REQUIRE(f);
  CHECK(f->failure.reason == mc::Reason::accepted);
  CHECK(f->failure.message ==
        "expected a refusal at auth, but the server accepted auth (235 2.7.0 Authentication "
        "successful) and RCPT TO (250 2.1.0 Ok); the transaction was reset with RSET and nothing "
        "was sent");
}

TEST_CASE("policy: at data, DATA's 354 is followed by a dropped connection and no message",
          "[runner][policy]") {
  Bench b;
  const auto r = b.run(send_with(R"("expect": { "reject": "data" })"));
  const auto& f = r.scenarios.at(0).failure;
  REQUIRE(f);
  CHECK(f->failure.reason == mc::Reason::accepted);
  CHECK(f->failure.phase == "data");
  CHECK(count(b.platform.smtp_commands, "DATA") == 1);
  CHECK(count(b.platform.smtp_commands, "QUIT") == 0);
  CHECK(b.platform.mailboxes.at("INBOX").empty());
}

TEST_CASE("policy: at message, the probe is sent and an acceptance reports its queue id",
          "[runner][policy]") {
  Bench b;
  const auto r = b.run(send_with(R"("expect": { "reject": "message" })"));
  const auto& f = r.scenarios.at(0).failure;
  REQUIRE(f);
  CHECK(f->failure.reason == mc::Reason::accepted);
  CHECK(f->failure.phase == "message");
  CHECK(f->failure.message.find("queued as 4XyZ1") != std::string::npos);
  CHECK(detail(step(r, 0), "queue_id").value == "4XyZ1");
}

TEST_CASE("policy: a refusal at another stage, or with another code, fails and says so",
          "[runner][policy]") {
  SECTION("another stage") {
    Bench b;
    b.platform.rcpt_reply = "554 5.7.1 Relay access denied\r\n";
    const auto r = b.run(send_with(R"("expect": { "reject": "mail" })"));
    const auto& f = r.scenarios.at(0).failure;
    REQUIRE(f);
    CHECK(f->failure.reason == mc::Reason::rejected);
    CHECK(f->failure.phase == "rcpt_to");
    CHECK(f->failure.message ==
          "expected a refusal at mail, but the server refused at rcpt "
          "instead: 554 5.7.1 Relay access denied");
  }
  SECTION("another code") {
    Bench b;
    b.platform.rcpt_reply = "550 5.1.1 <x@foreign.test>: Recipient address rejected\r\n";
    const auto r = b.run(send_with(R"("expect": { "reject": "rcpt", "code": "5.7.*" })"));
    const auto& f = r.scenarios.at(0).failure;
    REQUIRE(f);
    CHECK(f->failure.reason == mc::Reason::rejected);
    CHECK(f->failure.message ==
          "the server refused at rcpt, but with 550 5.1.1 <x@foreign.test>: "
          "Recipient address rejected, not the expected 5.7.*");
  }
  SECTION("a temporary failure is no refusal without a 4xx code") {
    Bench b;
    b.platform.rcpt_reply = "451 4.3.0 Temporary lookup failure\r\n";
    const auto r = b.run(send_with(R"("expect": "reject")"));
    const auto& f = r.scenarios.at(0).failure;
    REQUIRE(f);
    CHECK(f->failure.message.find("only deferred at rcpt") != std::string::npos);
    Bench b2;
    b2.platform.rcpt_reply = "451 4.3.0 Temporary lookup failure\r\n";
    const auto r2 = b2.run(send_with(R"("expect": { "reject": "rcpt", "code": "4??" })"));
    CHECK(r2.scenarios.at(0).status == mc::Status::ok);
  }
}

TEST_CASE("greylist retry: the server's delay is waited on the clock, then the probe goes out",
          "[runner][policy]") {
  Bench b;
  b.platform.greylist_rcpts = 1;
  const auto r = b.run(send_with(R"("greylist": "retry")") + "," +
                           R"({ "step": "imap.wait", "server": "store", "account": "probe", )"
                           R"("timeout": "60s" }, )" +
                           kImapDelete,
                       "120s");
  const auto& sc = r.scenarios.at(0);
  INFO((sc.failure ? sc.failure->failure.message : ""));
  CHECK(sc.status == mc::Status::ok);
  const auto& send = step(r, 0);
  CHECK(phase_seconds(send, "greylist_wait") == Approx(30.0));
  const auto& grey = detail(send, "greylisted");
  CHECK(grey.value["times"] == 1);
  CHECK(grey.value["waited_s"].get<double>() == Approx(30.0));
  CHECK(grey.text == "greylisted 1 time, waited 30 s");
  const auto& cmds = b.platform.smtp_commands;
  CHECK(count(cmds, "RCPT") == 2);
  CHECK(count(cmds, "QUIT") == 2);  // the greylisted session ended with QUIT
  CHECK(count(cmds, "DATA") == 1);
  // Phases of both sessions, the wait between them.
  const auto names = phases_of(send);
  const auto wait = std::find(names.begin(), names.end(), "greylist_wait");
  REQUIRE(wait != names.end());
  CHECK(std::count(names.begin(), wait, "rcpt_to") == 1);
  CHECK(std::count(wait, names.end(), "message") == 1);
}

TEST_CASE("greylist retry: without a delay in the reply greylist_delay is waited",
          "[runner][policy]") {
  Bench b;
  b.platform.greylist_rcpts = 2;
  b.platform.greylist_reply = "451 4.7.1 Try again later\r\n";
  const auto r = b.run(send_with(R"("greylist": "retry", "greylist_delay": "10s")"));
  CHECK(r.scenarios.at(0).status == mc::Status::ok);
  CHECK(detail(step(r, 0), "greylisted").value["times"] == 2);
  CHECK(phase_seconds(step(r, 0), "greylist_wait") == Approx(10.0));
}

TEST_CASE("greylist retry: a retry after the step's deadline fails as before, saying so",
          "[runner][policy]") {
  Bench b;
  b.platform.greylist_rcpts = 1;
  const auto r = b.run(send_with(R"("greylist": "retry", "timeout": "20s")"));
  const auto& f = r.scenarios.at(0).failure;
  REQUIRE(f);
  CHECK(f->failure.reason == mc::Reason::rejected);
  CHECK(f->failure.phase == "rcpt_to");
  CHECK(f->failure.message.find("greylisted, and the retry after 30s would come after the "
                                "step's deadline") != std::string::npos);
  CHECK(count(b.platform.smtp_commands, "RCPT") == 1);
}

TEST_CASE("greylist: without retry, a greylisting fails the step with the reply",
          "[runner][policy]") {
  Bench b;
  b.platform.greylist_rcpts = 1;
  const auto r = b.run(kSmtpSend);
  const auto& f = r.scenarios.at(0).failure;
  REQUIRE(f);
  CHECK(f->failure.reason == mc::Reason::rejected);
  REQUIRE(f->failure.reply);
  CHECK(f->failure.reply->code == 450);
  CHECK(count(b.platform.smtp_commands, "QUIT") == 0);  // as before: the connection is dropped
}
