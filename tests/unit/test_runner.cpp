// The runner with the clock and the transport injected: thresholds, not_delivered against the
// deadline, late and lost probes across runs, skipped steps, and the scenario's IMAP session
// (reused, logged out once, never reused once broken), all against the scripted platform of
// scripted_platform.hpp. No sockets and no sleeps: every duration here is the fake clock's.
#include <catch2/catch.hpp>

#include <string>

#include "reporters/metrics.hpp"
#include "tests/unit/runner_bench.hpp"

using namespace runner_bench;

TEST_CASE("runner: a round trip sends, finds and deletes the probe, logging in to IMAP once",
          "[runner]") {
  Bench b;
  const auto r = b.run(kRoundTrip);
  const auto& sc = r.scenarios.at(0);
  INFO((sc.failure ? sc.failure->failure.message : "no failure"));
  CHECK(r.status == mc::Status::ok);
  REQUIRE(sc.delivery_s);
  // Accepted at the 250 after the message, visible 400 ms later, seen by the next search.
  CHECK(*sc.delivery_s >= 0.4);
  CHECK(*sc.delivery_s < 0.4 + 0.25 + 0.02);
  CHECK(b.platform.imap_logins == 1);
  CHECK(b.platform.imap_logouts == 1);
  CHECK(b.platform.count_with(sc.token) == 0);
  // The LIST that finds Junk comes before the SELECT.
  CHECK(phases_of(step(r, 1)) == std::vector<std::string>{"connect", "tls_handshake", "greeting",
                                                          "capability", "login", "list", "select",
                                                          "search", "fetch"});
  // The delete runs in the same session: no connect, no login; the LOGOUT is its last phase.
  const auto del = phases_of(step(r, 2));
  CHECK(std::count(del.begin(), del.end(), "login") == 0);
  CHECK(std::count(del.begin(), del.end(), "connect") == 0);
  CHECK(del.back() == "logout");
  REQUIRE(step(r, 1).detail("uids"));
  REQUIRE(step(r, 2).detail("uids"));
  CHECK(step(r, 2).detail("uids")->value == step(r, 1).detail("uids")->value);
  CHECK(step(r, 2).tls);  // the session's TLS facts are the step's too
}

TEST_CASE("runner: thresholds compare the step's duration, at, below and above", "[runner]") {
  // A sleep takes exactly its duration on the fake clock.
  struct Case {
    const char* limits;
    const char* status;
    mc::Status scenario;
  };
  const Case cases[] = {
      {R"("warn": "2s")", "ok", mc::Status::ok},
      {R"("warn": "2001ms")", "ok", mc::Status::ok},
      {R"("warn": "1999ms")", "warning", mc::Status::warning},
      {R"("warn": "1s", "crit": "2s")", "warning", mc::Status::warning},
      {R"("warn": "1s", "crit": "1999ms")", "critical", mc::Status::critical},
  };
  for (const auto& c : cases) {
    Bench b;
    const auto r = b.run(std::string(R"({ "step": "sleep", "duration": "2s", )") + c.limits + " }");
    INFO(c.limits);
    CHECK(step(r, 0).duration_s == Approx(2.0).margin(1e-9));
    CHECK(step(r, 0).status == c.status);
    CHECK(r.scenarios[0].status == c.scenario);
    CHECK(r.status == c.scenario);
  }
}

TEST_CASE("runner: mail that never arrives is not_delivered at the deadline, not a timeout",
          "[runner]") {
  Bench b;
  b.platform.deliver = false;
  const auto r = b.run(kRoundTrip);
  const auto& sc = r.scenarios.at(0);
  REQUIRE(sc.failure);
  CHECK(sc.failure->step == "imap.wait");
  CHECK(sc.failure->failure.phase == "search");
  CHECK(sc.failure->failure.reason == mc::Reason::not_delivered);
  // The step ran until its own 5 s timeout, searching every 250 ms.
  CHECK(step(r, 1).duration_s == Approx(5.0).margin(0.05));
  REQUIRE(step(r, 1).detail("searches"));
  CHECK(step(r, 1).detail("searches")->value.get<int>() >= 18);
  CHECK(step(r, 2).status == "skipped");
  // The session broke at the deadline: it is closed, never logged out or used again.
  CHECK(b.platform.imap_logins == 1);
  CHECK(b.platform.imap_logouts == 0);
  CHECK(sc.status == mc::Status::critical);
}

TEST_CASE("runner: the mailbox session is open before the probe is sent", "[runner]") {
  Bench b;
  const auto r = b.run(kRoundTrip);
  REQUIRE(r.status == mc::Status::ok);
  const auto& wait = step(r, 1);
  // Connected and logged in before smtp.send began; its timeout and duration count from there.
  CHECK(wait.start_s <= step(r, 0).start_s);
  REQUIRE(!wait.phases.empty());
  CHECK(wait.phases.front().name == "connect");
  CHECK(wait.phases.front().start_s < step(r, 0).phases.front().start_s);
  const auto& cmds = b.platform.imap_commands;
  CHECK(std::count(cmds.begin(), cmds.end(), "LOGIN ...") == 1);
}

TEST_CASE("runner: a mailbox login that fails sends nothing", "[runner]") {
  Bench b;
  b.platform.password = "not-what-the-file-says";
  const auto r = b.run(kRoundTrip);
  const auto& sc = r.scenarios.at(0);
  REQUIRE(sc.failure);
  CHECK(sc.failure->step == "imap.wait");
  CHECK(sc.failure->failure.reason == mc::Reason::auth_failed);
  CHECK(step(r, 0).status == "skipped");
  CHECK(step(r, 1).status == "failed");
  CHECK(step(r, 2).status == "skipped");
  CHECK(b.platform.smtp_commands.empty());  // no probe that nobody could find
  CHECK(b.platform.connects == 1);
}

TEST_CASE("runner: a step that fails skips every step after it", "[runner]") {
  Bench b;
  b.platform.smtp_rejects_rcpt = true;
  const auto r = b.run(kRoundTrip);
  const auto& sc = r.scenarios.at(0);
  REQUIRE(sc.failure);
  CHECK(sc.failure->step == "smtp.send");
  CHECK(sc.failure->failure.reason == mc::Reason::rejected);
  // The wait, started before the send, is stopped before it searched: nothing was sent.
  CHECK(step(r, 1).status == "skipped");
  CHECK(step(r, 2).status == "skipped");
  const auto& cmds = b.platform.imap_commands;
  CHECK(std::count(cmds.begin(), cmds.end(), "UID SEARCH") == 0);
  CHECK(b.platform.imap_logins == 1);
}

TEST_CASE("runner: a failure after the probe was found still lets imap.delete remove it",
          "[runner]") {
  Bench b;
  const auto r = b.run(
      kSmtpSend + ", " + kImapWait +
      R"(, { "step": "imap.check", "server": "store", "account": "probe", "mailboxes": ["Missing"] }, )" +
      R"({ "step": "sleep", "duration": "1s" }, )" + kImapDelete);
  const auto& sc = r.scenarios.at(0);
  REQUIRE(sc.failure);
  CHECK(sc.failure->step == "imap.check");
  CHECK(sc.failure->failure.reason == mc::Reason::rejected);
  CHECK(step(r, 3).status == "skipped");  // only the clean-up runs after a failure
  CHECK(step(r, 4).status == "ok");
  CHECK(b.platform.count_with(sc.token) == 0);
  // In the session the wait logged in with, logged out after the delete.
  CHECK(b.platform.imap_logins == 1);
  CHECK(b.platform.imap_logouts == 1);
  REQUIRE(!step(r, 4).phases.empty());
  CHECK(phases_of(step(r, 4)).back() == "logout");
  CHECK(r.status == mc::Status::critical);
}

TEST_CASE("runner: a late probe is found and deleted by the next run, a lost one given up",
          "[runner]") {
  SECTION("late") {
    Bench b;
    b.platform.delivery = 12s;  // longer than imap.wait's 5 s
    const auto first = b.run(kRoundTrip);
    REQUIRE(first.scenarios[0].failure);
    CHECK(first.scenarios[0].failure->failure.reason == mc::Reason::not_delivered);
    const std::string token = first.scenarios[0].token;
    CHECK(b.platform.count_with(token) == 1);
    b.clock.advance(60s);
    b.platform.delivery = 400ms;
    const auto second = b.run(kRoundTrip);
    const auto& sc = second.scenarios[0];
    CHECK(sc.status == mc::Status::ok);
    REQUIRE(sc.late.size() == 1);
    CHECK(sc.late[0].token == token);
    REQUIRE(sc.late[0].seen_at);
    CHECK(sc.pending == 0);
    CHECK(b.platform.count_with(token) == 0);  // deleted by the sweep
  }
  SECTION("lost") {
    Bench b;
    b.platform.deliver = false;
    const auto first = b.run(kRoundTrip);
    REQUIRE(first.scenarios[0].failure);
    b.clock.advance(2h);  // past the lost-after horizon of 1 h
    b.platform.deliver = true;
    const auto second = b.run(kRoundTrip);
    const auto& sc = second.scenarios[0];
    CHECK(sc.late.empty());
    REQUIRE(sc.lost.size() == 1);
    CHECK(sc.lost[0].token == first.scenarios[0].token);
    CHECK(sc.pending == 0);
    // Given up once: a third run no longer looks for it.
    const auto third = b.run(kRoundTrip);
    CHECK(third.scenarios[0].lost.empty());
    CHECK(third.scenarios[0].pending == 0);
  }
  SECTION("still pending within the horizon") {
    Bench b;
    b.platform.deliver = false;
    (void)b.run(kRoundTrip);
    b.clock.advance(10min);
    const auto second = b.run(kRoundTrip);
    CHECK(second.scenarios[0].lost.empty());
    CHECK(second.scenarios[0].pending == 1);
  }
}

TEST_CASE("runner: steps on one server and account share a session; session new logs in apart",
          "[runner]") {
  const std::string check =
      R"({ "step": "imap.check", "server": "store", "account": "probe", "mailboxes": ["INBOX", "Archive"] })";
  SECTION("shared") {
    Bench b;
    b.platform.mailboxes["Archive"] = {};
    const auto r = b.run(kSmtpSend + ", " + kImapWait + ", " + check + ", " + kImapDelete);
    INFO((r.scenarios[0].failure ? r.scenarios[0].failure->failure.message : ""));
    CHECK(r.status == mc::Status::ok);
    CHECK(b.platform.imap_logins == 1);
    CHECK(b.platform.imap_logouts == 1);
    const auto p = phases_of(step(r, 2));
    CHECK(std::count(p.begin(), p.end(), "login") == 0);
    CHECK(std::count(p.begin(), p.end(), "select:Archive") == 1);
    CHECK(step(r, 2).detail("mailboxes"));
  }
  SECTION("new") {
    Bench b;
    b.platform.mailboxes["Archive"] = {};
    std::string own = check;
    own.insert(own.size() - 2, R"(, "session": "new")");
    const auto r = b.run(kSmtpSend + ", " + kImapWait + ", " + own + ", " + kImapDelete);
    CHECK(r.status == mc::Status::ok);
    CHECK(b.platform.imap_logins == 2);
    CHECK(b.platform.imap_logouts == 2);
    const auto p = phases_of(step(r, 2));
    CHECK(std::count(p.begin(), p.end(), "login") == 1);
    CHECK(p.back() == "logout");  // its own session ends with it
    CHECK(phases_of(step(r, 3)).back() == "logout");
  }
}

TEST_CASE("runner: a refused mailbox fails the check and the healthy session is logged out",
          "[runner]") {
  Bench b;
  const auto r = b.run(
      R"({ "step": "imap.check", "server": "store", "account": "probe", "mailboxes": ["INBOX", "Missing", "INBOX"] }, )" +
      kImapWait);
  const auto& sc = r.scenarios[0];
  REQUIRE(sc.failure);
  CHECK(sc.failure->failure.reason == mc::Reason::rejected);
  CHECK(sc.failure->failure.phase == "select:Missing");
  REQUIRE(sc.failure->failure.reply);
  CHECK(sc.failure->failure.reply->text.find("Missing") != std::string::npos);
  CHECK(step(r, 1).status == "skipped");
  CHECK(b.platform.imap_logouts == 1);
  CHECK(phases_of(step(r, 0)).back() == "logout");
}

TEST_CASE("runner: a session that broke is never used again", "[runner]") {
  Bench b;
  b.platform.imap_hangs_on = "SELECT";
  const auto r = b.run(kImapWait + ", " + kImapDelete);
  const auto& sc = r.scenarios[0];
  REQUIRE(sc.failure);
  CHECK(sc.failure->failure.reason == mc::Reason::timeout);
  CHECK(sc.failure->failure.phase == "select");
  // No LOGOUT goes down a connection whose last command got no answer, and nothing else does.
  const auto& cmds = b.platform.imap_commands;
  CHECK(cmds.back() == "SELECT");
  CHECK(b.platform.imap_logouts == 0);
}

TEST_CASE("runner: after the scenario's own login failed, the sweep does not log in again",
          "[runner]") {
  Bench b;
  b.platform.deliver = false;
  (void)b.run(kRoundTrip);  // leaves a pending probe behind
  b.clock.advance(60s);
  b.platform.deliver = true;
  b.platform.password = "changed-on-the-server";
  const int logins_before = b.platform.imap_logins;
  // imap.check fails its login first; no step of the scenario succeeds in logging in after it.
  const auto r =
      b.run(R"({ "step": "imap.check", "server": "store", "account": "probe" }, )" + kImapWait);
  REQUIRE(r.scenarios[0].failure);
  CHECK(r.scenarios[0].failure->step == "imap.check");
  CHECK(r.scenarios[0].failure->failure.reason == mc::Reason::auth_failed);
  CHECK(b.platform.imap_logins - logins_before == 1);  // one wrong password, not two
  CHECK(r.scenarios[0].pending == 1);
}

TEST_CASE("runner: with keep, the probe stays and a later run only finds it", "[runner]") {
  Bench b;
  const std::string keep =
      R"({ "step": "imap.wait", "server": "store", "account": "probe", "keep": true })";
  const auto first = b.run(kSmtpSend + ", " + keep);
  CHECK(first.status == mc::Status::ok);
  CHECK(b.platform.count_with(first.scenarios[0].token) == 1);  // left, as the file says
  CHECK(first.scenarios[0].pending == 0);
  const auto second = b.run(kSmtpSend + ", " + keep);
  CHECK(second.scenarios[0].pending == 0);
  CHECK(b.platform.count_with(first.scenarios[0].token) == 1);
  CHECK(b.platform.count_with(second.scenarios[0].token) == 1);
}

TEST_CASE("runner: a LOGOUT that gets no answer fails the step that ends the session", "[runner]") {
  Bench b;
  b.platform.imap_hangs_on = "LOGOUT";
  const auto r = b.run(kRoundTrip);
  const auto& sc = r.scenarios[0];
  REQUIRE(sc.failure);
  CHECK(sc.failure->step == "imap.delete");
  CHECK(sc.failure->failure.phase == "logout");
  CHECK(sc.failure->failure.reason == mc::Reason::timeout);
  // Bounded by the step's own deadline (the scenario's 30 s here), never beyond it.
  CHECK(step(r, 2).start_s + step(r, 2).duration_s <= 30.0 + 1e-9);
  CHECK(b.platform.count_with(sc.token) == 0);  // the work was done before it
}

TEST_CASE("runner: the trusted host's verdicts and the spam score come from the probe's header",
          "[runner]") {
  Bench b;
  b.platform.extra_headers =
      "Authentication-Results: mail.test;\r\n\tdkim=pass header.d=mail.test;\r\n"
      "\tspf=softfail smtp.mailfrom=probe@mail.test\r\n"
      "Authentication-Results: forged.example; dmarc=pass; arc=pass\r\n"
      "X-Spamd-Result: default: False [1.50 / 15.00];\r\n";
  const auto r = b.run(kRoundTrip);
  REQUIRE(r.status == mc::Status::ok);
  const auto* auth = step(r, 1).detail("auth_results");
  REQUIRE(auth);
  CHECK(auth->value["authserv_id"] == "mail.test");  // the server's host name by default
  CHECK(auth->value["dkim"] == "pass");
  CHECK(auth->value["spf"] == "softfail");
  CHECK(auth->value["dmarc"] == "missing");  // the forged field's pass does not count
  CHECK(auth->value["arc"] == "missing");
  CHECK(auth->value["ignored"] == 1);
  const auto* spam = step(r, 1).detail("spam_scores");
  REQUIRE(spam);
  CHECK(spam->value[0]["source"] == "rspamd");
  CHECK(spam->value[0]["score"].get<double>() == Approx(1.5));
  const std::string metrics = mc::render_metrics(r, {}, false);
  CHECK(metrics.find("mailcanary_auth_result_info{scenario=\"s\",method=\"dkim\",result=\"pass\"} "
                     "1\n") != std::string::npos);
  CHECK(metrics.find("mailcanary_auth_result_info{scenario=\"s\",method=\"dmarc\",result="
                     "\"missing\"} 1\n") != std::string::npos);
  CHECK(metrics.find("mailcanary_spam_score{scenario=\"s\",source=\"rspamd\"} 1.5\n") !=
        std::string::npos);
}
