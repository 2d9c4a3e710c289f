// imap.wait's "expect" and "spam" on the scripted platform: the mailstore adds header fields as
// Gmail, Microsoft 365, Postfix + OpenDKIM and rspamd write them, and the runner turns the
// verdicts and scores into a pass, an auth_results failure or a WARNING/CRITICAL step.
#include <catch2/catch.hpp>

#include <string>

#include "reporters/file_reporters.hpp"
#include "reporters/html_reporter.hpp"
#include "reporters/junit_reporter.hpp"
#include "reporters/metrics.hpp"
#include "tests/unit/runner_bench.hpp"

using namespace runner_bench;

namespace {

const std::string kGmail =
    "Authentication-Results: mx.google.com;\r\n"
    "       dkim=pass header.i=@example.com header.s=20230601 header.b=Ab1Cd2Ef;\r\n"
    "       spf=pass (google.com: domain of sender@example.com designates 209.85.220.41 as "
    "permitted sender) smtp.mailfrom=sender@example.com;\r\n"
    "       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com\r\n";

const std::string kMicrosoft365 =
    "Authentication-Results: spf=pass (sender IP is 40.107.22.55)\r\n"
    " smtp.mailfrom=example.com; dkim=pass (signature was verified)\r\n"
    " header.d=example.com;dmarc=pass action=none\r\n"
    " header.from=example.com;compauth=pass reason=100\r\n"
    "X-MS-Exchange-Organization-SCL: 1\r\n";

// As OpenDKIM behind Postfix writes it, the mailstore being mail.test.
const std::string kOpenDkim =
    "Authentication-Results: mail.test;\r\n"
    "\tdkim=pass (2048-bit key) header.d=mail.test header.i=@mail.test header.a=rsa-sha256 "
    "header.s=mc header.b=UkKxp3GP;\r\n"
    "\tdkim-atps=neutral\r\n";

std::string rspamd(const std::string& score) {
  return "Authentication-Results: mail.test;\r\n"
         "\tdkim=pass header.d=mail.test header.s=dkim header.b=Qw3rTy;\r\n"
         "\tspf=neutral (mail.test: 192.0.2.10 is neither permitted nor denied by domain of "
         "probe@mail.test) smtp.mailfrom=probe@mail.test;\r\n"
         "\tdmarc=none;\r\n"
         "\tarc=none\r\n"
         "X-Spamd-Result: default: False [" +
         score +
         " / 15.00];\r\n"
         "\tARC_NA(0.00)[];\r\n"
         "\tR_SPF_NEUTRAL(0.00)[?all]\r\n"
         "X-Rspamd-Score: " +
         score + "\r\n";
}

// imap.wait with these keys added, then imap.delete.
std::string round_trip_with(const std::string& wait_keys) {
  return kSmtpSend +
         R"(, { "step": "imap.wait", "server": "store", "account": "probe", "timeout": "5s", )" +
         wait_keys + " }, " + kImapDelete;
}

const std::string& message_of(const mc::RunResult& r) {
  REQUIRE(r.scenarios.at(0).failure);
  return r.scenarios[0].failure->failure.message;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("expect: Gmail's verdicts as expected pass the step, and are recorded",
          "[runner][auth]") {
  Bench b;
  b.platform.extra_headers = kGmail;
  const auto r = b.run(round_trip_with(
      R"("authserv_id": "mx.google.com", "expect": { "spf": "pass", "dkim": "pass", "dmarc": "pass" })"));
  const auto& sc = r.scenarios.at(0);
  INFO((sc.failure ? sc.failure->failure.message : "no failure"));
  CHECK(r.status == mc::Status::ok);
  const auto* auth = step(r, 1).detail("auth_results");
  REQUIRE(auth);
  CHECK(auth->value["dkim"] == "pass");
  CHECK(auth->value["arc"] == "missing");  // not expected, so not checked
  CHECK(b.platform.count_with(sc.token) == 0);
}

TEST_CASE("expect: a verdict other than expected fails with auth_results, the probe recorded",
          "[runner][auth]") {
  Bench b;
  b.platform.extra_headers = kOpenDkim;
  const auto r =
      b.run(round_trip_with(R"("expect": { "dkim": "pass", "spf": "pass", "dmarc": "pass" })"));
  const auto& sc = r.scenarios.at(0);
  REQUIRE(sc.failure);
  CHECK(sc.failure->step == "imap.wait");
  CHECK(sc.failure->failure.reason == mc::Reason::auth_results);
  CHECK(sc.failure->failure.phase == "fetch");
  CHECK(message_of(r) ==
        "Authentication-Results of mail.test: spf is missing, expected pass; dmarc is missing, "
        "expected pass (dkim pass as expected)");
  CHECK(step(r, 1).status == "failed");
  // Found, so everything a success records is there: UIDs, when it was seen, the delivery time.
  CHECK(step(r, 1).detail("uids"));
  CHECK(step(r, 1).detail("auth_results"));
  CHECK(sc.seen_at);
  REQUIRE(sc.delivery_s);
  CHECK(*sc.delivery_s >= 0.4);
  // And then deleted: imap.delete runs after a failure that left the mailstore fit.
  CHECK(step(r, 2).status == "ok");
  CHECK(b.platform.count_with(sc.token) == 0);
  CHECK(b.platform.imap_logins == 1);
  CHECK(mc::render_metrics(r, {}, false).find("reason=\"auth_results\"") != std::string::npos);
  CHECK(contains(mc::nagios_line(r), "imap.wait/fetch auth_results"));
}

TEST_CASE("expect: neutral, none and missing are three verdicts, none of them fail",
          "[runner][auth]") {
  struct Case {
    const char* expect;
    const char* message;  // "" when the step passes
  };
  const Case cases[] = {
      {R"({ "spf": "neutral", "dmarc": "none", "arc": "none" })", ""},
      {R"({ "spf": "fail" })",
       "Authentication-Results of mail.test: spf is neutral, expected fail"},
      {R"({ "spf": "pass" })",
       "Authentication-Results of mail.test: spf is neutral, expected pass"},
      {R"({ "arc": "missing" })",
       "Authentication-Results of mail.test: arc is none, expected missing"},
      {R"({ "dmarc": "fail", "dkim": "pass" })",
       "Authentication-Results of mail.test: dmarc is none, expected fail (dkim pass as expected)"},
      {R"({ "dkim": "PASS" })", ""},  // results are case-insensitive, as RFC 8601 says
  };
  for (const auto& c : cases) {
    INFO(c.expect);
    Bench b;
    b.platform.extra_headers = rspamd("1.20");
    const auto r = b.run(round_trip_with(std::string(R"("expect": )") + c.expect));
    if (*c.message == '\0') {
      CHECK_FALSE(r.scenarios.at(0).failure);
      CHECK(r.status == mc::Status::ok);
    } else {
      CHECK(message_of(r) == c.message);
      CHECK(r.scenarios[0].failure->failure.reason == mc::Reason::auth_results);
    }
  }
}

TEST_CASE("expect: Microsoft 365 names no host; only authserv_id \"\" trusts its fields",
          "[runner][auth]") {
  SECTION("the server's host name trusts nothing of it: every verdict is missing") {
    Bench b;
    b.platform.extra_headers = kMicrosoft365;
    const auto r = b.run(round_trip_with(R"("expect": { "dkim": "pass" })"));
    CHECK(message_of(r) ==
          "Authentication-Results of mail.test: dkim is missing, expected pass; fields of other "
          "hosts ignored: (none named) (authserv_id names the host whose verdicts count)");
  }
  SECTION("\"\" trusts the fields that name no host") {
    Bench b;
    b.platform.extra_headers = kMicrosoft365;
    const auto r = b.run(
        round_trip_with(R"("authserv_id": "", "expect": { "dkim": "pass", "dmarc": "pass" })"));
    CHECK(r.status == mc::Status::ok);
    const auto* auth = step(r, 1).detail("auth_results");
    REQUIRE(auth);
    CHECK(auth->value["authserv_id"] == "");
    CHECK(auth->value["spf"] == "pass");
    CHECK(auth->text == "auth spf=pass dkim=pass dmarc=pass arc=missing (fields naming no host)");
  }
}

TEST_CASE("expect: a forged field of another host never satisfies an expectation",
          "[runner][auth]") {
  Bench b;
  // What a sender wrote above the mailstore's own field: a pass for every method.
  b.platform.extra_headers = kOpenDkim +
                             "Authentication-Results: mx.google.com; spf=pass; dmarc=pass\r\n" +
                             "Authentication-Results: mx.google.com; arc=pass\r\n";
  const auto r = b.run(round_trip_with(R"("expect": { "spf": "pass" })"));
  CHECK(message_of(r) ==
        "Authentication-Results of mail.test: spf is missing, expected pass; fields of other "
        "hosts ignored: mx.google.com (authserv_id names the host whose verdicts count)");
}

TEST_CASE("expect: the failed wait leaves the mailstore fit for the sweep of earlier probes",
          "[runner][auth]") {
  Bench b;
  b.platform.delivery = 12s;  // longer than imap.wait's 5 s: pending, then late
  const auto first = b.run(kRoundTrip);
  REQUIRE(first.scenarios[0].failure);
  b.clock.advance(60s);
  b.platform.delivery = 400ms;
  b.platform.extra_headers = kOpenDkim;
  const auto second = b.run(round_trip_with(R"("expect": { "spf": "pass" })"));
  const auto& sc = second.scenarios[0];
  REQUIRE(sc.failure);
  CHECK(sc.failure->failure.reason == mc::Reason::auth_results);
  REQUIRE(sc.late.size() == 1);  // the sweep ran: an unexpected verdict is no server fault
  CHECK(sc.late[0].token == first.scenarios[0].token);
}

TEST_CASE("spam: a score over warn or crit makes the step WARNING or CRITICAL, not failed",
          "[runner][auth]") {
  struct Case {
    std::string headers;
    const char* spam;
    const char* status;
    mc::Status scenario;
    const char* note;  // "" for none
  };
  const Case cases[] = {
      {rspamd("-0.10"), R"({ "warn": 5, "crit": 10 })", "ok", mc::Status::ok, ""},
      {rspamd("5.00"), R"({ "warn": 5, "crit": 10 })", "ok", mc::Status::ok, ""},  // at, not over
      {rspamd("7.50"), R"({ "warn": 5, "crit": 10 })", "warning", mc::Status::warning,
       "spam score rspamd 7.50 > warn 5"},
      {rspamd("12.00"), R"({ "warn": 5, "crit": 10 })", "critical", mc::Status::critical,
       "spam score rspamd 12.00 > crit 10"},
      // A scanner's own limits replace those for every scanner.
      {rspamd("12.00"), R"({ "warn": 5, "rspamd": { "crit": 20 } })", "ok", mc::Status::ok, ""},
      {kMicrosoft365, R"({ "warn": 5, "microsoft_scl": { "warn": 0 } })", "warning",
       mc::Status::warning, "spam score microsoft_scl 1.00 > warn 0"},
      {"X-Spam-Status: No, score=-1.9 required=5.0 tests=BAYES_00,DKIM_SIGNED\r\n",
       R"({ "spamassassin": { "crit": -2.5 } })", "critical", mc::Status::critical,
       "spam score spamassassin -1.90 > crit -2.5"},
      // No score of a scanner: nothing to compare.
      {kGmail, R"({ "crit": 1 })", "ok", mc::Status::ok, ""},
  };
  for (const auto& c : cases) {
    INFO(c.spam << " on " << c.headers);
    Bench b;
    b.platform.extra_headers = c.headers;
    const auto r = b.run(round_trip_with(std::string(R"("spam": )") + c.spam));
    const auto& sc = r.scenarios.at(0);
    CHECK_FALSE(sc.failure);
    CHECK(step(r, 1).status == c.status);
    CHECK(sc.status == c.scenario);
    CHECK(step(r, 1).note.value_or("") == c.note);
    CHECK_FALSE(step(r, 1).threshold);  // no time threshold was exceeded
    CHECK(step(r, 2).status == "ok");   // the probe is deleted all the same
    CHECK(b.platform.count_with(sc.token) == 0);
  }
}

TEST_CASE("spam: the limits and what a score is over are in the result, and in the reports",
          "[runner][auth]") {
  Bench b;
  b.platform.extra_headers = rspamd("12.00");
  const auto r = b.run(round_trip_with(R"("spam": { "warn": 5, "crit": 10 })"));
  const auto* spam = step(r, 1).detail("spam_scores");
  REQUIRE(spam);
  CHECK(spam->value[0]["source"] == "rspamd");
  CHECK(spam->value[0]["threshold"].get<double>() == Approx(15.0));  // rspamd's own
  CHECK(spam->value[0]["warn"].get<double>() == Approx(5.0));
  CHECK(spam->value[0]["crit"].get<double>() == Approx(10.0));
  CHECK(spam->value[0]["over"] == "crit");
  CHECK(spam->text == "spam score rspamd 12.00 of 15.00 (over crit 10)");
  CHECK(mc::exit_code(r.status) == 2);
  CHECK(contains(mc::nagios_line(r),
                 "MAILCANARY CRITICAL - 1 of 1 scenarios ok; s: imap.wait spam score rspamd "
                 "12.00 > crit 10"));
  // A success all the same: the probe went round and was found.
  CHECK(contains(mc::render_metrics(r, {}, false), "mailcanary_success{scenario=\"s\"} 1\n"));
  const std::string junit = mc::render_junit(r);
  CHECK(contains(junit, "imap.wait: spam score rspamd 12.00 &gt; crit 10\" type=\"threshold\""));
  CHECK(contains(junit, "CRITICAL: imap.wait spam score rspamd 12.00 &gt; crit 10"));
  CHECK(contains(mc::render_html(r, {}), "imap.wait spam score rspamd 12.00 &gt; crit 10"));
}

TEST_CASE("spam: a step over a time warn and a spam crit is critical", "[runner][auth]") {
  Bench b;
  b.platform.extra_headers = rspamd("12.00");
  const auto r = b.run(round_trip_with(R"("warn": "100ms", "spam": { "crit": 10 })"));
  CHECK(step(r, 1).threshold == std::optional<std::string>("warn"));
  CHECK(step(r, 1).status == "critical");
  CHECK(r.status == mc::Status::critical);
}
