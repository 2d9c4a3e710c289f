// The metrics text (Pushgateway and textfile) and the Nagios plugin line, from run models built
// by hand: exact series, escaping, and the plugin grammar for every status.
#include <catch2/catch.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "reporters/file_reporters.hpp"
#include "reporters/metrics.hpp"
#include "reporters/pushgateway_reporter.hpp"

using mc::RunResult;
using mc::ScenarioResult;
using mc::Status;
using mc::StepResult;

namespace {

StepResult step(const std::string& kind, double start, double duration,
                std::vector<mc::PhaseResult> phases = {}) {
  StepResult s;
  s.step = kind;
  s.start_s = start;
  s.duration_s = duration;
  s.phases = std::move(phases);
  return s;
}

ScenarioResult ok_scenario(const std::string& name) {
  ScenarioResult sc;
  sc.name = name;
  sc.status = Status::ok;
  sc.duration_s = 0.5;
  sc.delivery_s = 0.25;
  sc.started_at = mc::Wall::time_point(std::chrono::seconds(1'800'000'000));
  auto send = step("smtp.send", 0, 0.1, {{"connect", 0, 0.01}, {"banner", 0.01, 0.02}});
  send.tls.emplace();
  send.tls->version = "TLSv1.3";
  send.tls->cipher = "TLS_AES_256_GCM_SHA384";
  send.tls->verified = true;
  send.tls->chain_expiry_s = 86400.0;
  send.tls->chain_not_after = mc::Wall::time_point(std::chrono::seconds(1'800'086'400));
  auto wait = step("imap.wait", 0.1, 0.3,
                   {{"capability", 0.1, 0.01}, {"login", 0.11, 0.02}, {"capability", 0.13, 0.03}});
  wait.warn_s = 5;
  wait.crit_s = 20;
  sc.steps = {send, wait, step("imap.delete", 0.4, 0.1)};
  return sc;
}

ScenarioResult failed_scenario(const std::string& name) {
  ScenarioResult sc;
  sc.name = name;
  sc.status = Status::critical;
  sc.duration_s = 0.2;
  sc.started_at = mc::Wall::time_point(std::chrono::seconds(1'800'000'000));
  auto send = step("smtp.send", 0, 0.2, {{"auth", 0.1, 0.1}});
  send.status = "failed";
  auto skipped = step("imap.wait", 0.2, 0);
  skipped.status = "skipped";
  sc.steps = {send, skipped};
  mc::Failure f{mc::Reason::auth_failed, "auth", "authentication refused",
                mc::ServerReply{535, "5.7.8", "Error: auth | failed", ""}};
  sc.failure = mc::ScenarioFailure{"smtp.send", f};
  return sc;
}

RunResult run_of(std::vector<ScenarioResult> scenarios, Status status) {
  RunResult r;
  r.vantage = "fra\"1";
  r.status = status;
  r.scenarios = std::move(scenarios);
  return r;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("metrics: the contract's families, each with HELP and TYPE gauge", "[metrics]") {
  const std::string text = mc::render_metrics(run_of({ok_scenario("a")}, Status::ok), {}, true);
  for (const char* family :
       {"mailcanary_success", "mailcanary_duration_seconds", "mailcanary_delivery_seconds",
        "mailcanary_step_duration_seconds", "mailcanary_phase_duration_seconds",
        "mailcanary_failure_info", "mailcanary_tls_cert_expiry_timestamp_seconds",
        "mailcanary_tls_info", "mailcanary_last_run_timestamp_seconds",
        "mailcanary_last_success_timestamp_seconds"}) {
    CHECK(has_line(text, std::string("# TYPE ") + family + " gauge"));
  }
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.back() == '\n');
}

TEST_CASE("metrics: exact series of a successful scenario, vantage escaped", "[metrics]") {
  const std::string text = mc::render_metrics(run_of({ok_scenario("a")}, Status::ok), {}, true);
  CHECK(has_line(text, R"(mailcanary_success{scenario="a",vantage="fra\"1"} 1)"));
  CHECK(has_line(text, R"(mailcanary_delivery_seconds{scenario="a",vantage="fra\"1"} 0.25)"));
  CHECK(has_line(
      text,
      R"(mailcanary_step_duration_seconds{scenario="a",step="imap.wait",vantage="fra\"1"} 0.3)"));
  // A phase that repeats within a step is one series, its durations summed.
  CHECK(has_line(
      text,
      R"(mailcanary_phase_duration_seconds{scenario="a",step="imap.wait",phase="capability",vantage="fra\"1"} 0.04)"));
  CHECK(has_line(
      text,
      R"(mailcanary_tls_info{scenario="a",step="smtp.send",version="TLSv1.3",cipher="TLS_AES_256_GCM_SHA384",vantage="fra\"1"} 1)"));
  CHECK(has_line(
      text,
      R"(mailcanary_tls_cert_expiry_timestamp_seconds{scenario="a",step="smtp.send",vantage="fra\"1"} 1800086400)"));
  CHECK(has_line(
      text, R"(mailcanary_last_run_timestamp_seconds{scenario="a",vantage="fra\"1"} 1800000000)"));
  CHECK(text.find("mailcanary_failure_info{") == std::string::npos);
  CHECK(text.find("mailcanary_last_success_timestamp_seconds{") == std::string::npos);
}

TEST_CASE("metrics: a failure is one failure_info series on the failing step", "[metrics]") {
  mc::ReportContext ctx;
  ctx.last_success = {{"b", 1799999000}};
  const std::string text =
      mc::render_metrics(run_of({failed_scenario("b")}, Status::critical), ctx, false);
  CHECK(has_line(text, R"(mailcanary_success{scenario="b"} 0)"));
  CHECK(has_line(
      text,
      R"(mailcanary_failure_info{scenario="b",step="smtp.send",phase="auth",reason="auth_failed"} 1)"));
  CHECK(has_line(text, R"(mailcanary_last_success_timestamp_seconds{scenario="b"} 1799999000)"));
  CHECK(text.find("step=\"imap.wait\"") == std::string::npos);  // skipped: no series
  CHECK(text.find("mailcanary_delivery_seconds{") == std::string::npos);
}

TEST_CASE("metrics: a failure outside any step (an internal error) still has failure_info",
          "[metrics]") {
  ScenarioResult sc = failed_scenario("d");
  sc.steps.clear();
  sc.status = Status::unknown;
  sc.failure = mc::ScenarioFailure{"", {mc::Reason::internal, "", "boom", std::nullopt}};
  const std::string text = mc::render_metrics(run_of({sc}, Status::unknown), {}, false);
  CHECK(has_line(text,
                 R"(mailcanary_failure_info{scenario="d",step="",phase="",reason="internal"} 1)"));
}

TEST_CASE("metrics: a step kind that repeats gets #2, so series never collide", "[metrics]") {
  ScenarioResult sc = ok_scenario("c");
  sc.steps.push_back(step("imap.wait", 0.5, 0.1));
  const std::string text = mc::render_metrics(run_of({sc}, Status::ok), {}, false);
  CHECK(has_line(text, R"(mailcanary_step_duration_seconds{scenario="c",step="imap.wait"} 0.3)"));
  CHECK(has_line(text, R"(mailcanary_step_duration_seconds{scenario="c",step="imap.wait#2"} 0.1)"));
}

TEST_CASE("metrics: label values escape backslash, quote and newline", "[metrics]") {
  CHECK(mc::escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
}

TEST_CASE("pushgateway grouping key: plain, escaped, and @base64 for / or empty", "[metrics]") {
  CHECK(mc::push_path("fra1") == "/metrics/job/mailcanary/vantage/fra1");
  CHECK(mc::push_path("eu west") == "/metrics/job/mailcanary/vantage/eu%20west");
  CHECK(mc::push_path("eu/fra1") == "/metrics/job/mailcanary/vantage@base64/ZXUvZnJhMQ==");
  CHECK(mc::push_path("") == "/metrics/job/mailcanary/vantage@base64/=");
}

TEST_CASE("pushgateway URLs with user:password@ are recognised", "[metrics]") {
  CHECK(mc::url_has_userinfo("http://u:p@gw:9091"));
  CHECK(mc::url_has_userinfo("https://u:p%2F@gw/prefix"));
  CHECK_FALSE(mc::url_has_userinfo("http://gw:9091/path@x"));
  CHECK_FALSE(mc::url_has_userinfo("http://gw:9091"));
}

namespace {
// The plugin output grammar: "SERVICE STATUS - text | 'label'=value[UOM];[warn];[crit];[min];[max]
// ...", one line, no '|' in the text.
const std::regex kNagiosLine(
    R"(^MAILCANARY (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+( \| ('([^'=]|'')+'=[0-9.]+(s)?;[0-9.]*;[0-9.]*;[0-9.]*;[0-9.]*)( '([^'=]|'')+'=[0-9.]+(s)?;[0-9.]*;[0-9.]*;[0-9.]*;[0-9.]*)*)?$)");
}  // namespace

TEST_CASE("nagios: OK, WARNING, CRITICAL and UNKNOWN lines follow the plugin grammar", "[nagios]") {
  ScenarioResult slow = ok_scenario("it's slow");
  slow.status = Status::warning;
  slow.steps[1].threshold = "warn";
  slow.steps[1].duration_s = 6;

  const std::string ok = mc::nagios_line(run_of({ok_scenario("a")}, Status::ok));
  const std::string warn = mc::nagios_line(run_of({ok_scenario("a"), slow}, Status::warning));
  const std::string crit =
      mc::nagios_line(run_of({ok_scenario("a"), failed_scenario("b")}, Status::critical));
  const std::string unknown = mc::nagios_unknown_line("bad file\nsecond line | pipe");
  for (const auto& line : {ok, warn, crit, unknown}) {
    INFO(line);
    CHECK(std::regex_match(line, kNagiosLine));
  }
  CHECK(ok.rfind("MAILCANARY OK - 1 of 1 scenarios ok | 'a total'=0.5s;;;0; ", 0) == 0);
  CHECK(ok.find("'a imap.wait'=0.3s;5;20;0;") != std::string::npos);
  // A scenario over its warn threshold still ran to the end: it is ok in the count, as
  // mailcanary_success counts it, and named for its threshold.
  CHECK(warn.find(
            "MAILCANARY WARNING - 2 of 2 scenarios ok; it's slow: imap.wait took 6s > warn 5s") ==
        0);
  CHECK(warn.find("'it''s slow total'=") != std::string::npos);  // a quote in a label doubled
  CHECK(crit.find("MAILCANARY CRITICAL - 1 of 2 scenarios ok; b: smtp.send/auth auth_failed "
                  "(535 5.7.8 Error: auth / failed)") == 0);
  CHECK(unknown == "MAILCANARY UNKNOWN - bad file second line / pipe");
}

TEST_CASE("nagios: the reporter prints exactly one line", "[nagios]") {
  std::ostringstream out;
  mc::NagiosReporter(out).write(run_of({ok_scenario("a")}, Status::ok), {});
  const std::string s = out.str();
  CHECK(std::count(s.begin(), s.end(), '\n') == 1);
  CHECK(s.back() == '\n');
}

TEST_CASE("nagios: the count of ok scenarios is the sum of mailcanary_success", "[nagios]") {
  ScenarioResult slow = ok_scenario("slow");
  slow.status = Status::warning;
  slow.steps[1].threshold = "warn";
  slow.steps[1].duration_s = 6;
  ScenarioResult left = ok_scenario("left");
  left.status = Status::warning;
  left.steps[1].add_detail("expunge_skipped", true,
                           "expunge skipped: other messages in the mailbox are flagged \\Deleted");
  left.steps[1].note = "expunge_skipped (the probe stays flagged \\Deleted; others' mail is too)";
  const auto run = run_of({slow, left, failed_scenario("b")}, Status::critical);
  const std::string line = mc::nagios_line(run);
  const std::string metrics = mc::render_metrics(run, {}, false);
  int successes = 0;
  for (const char* name : {"slow", "left", "b"})
    if (metrics.find("mailcanary_success{scenario=\"" + std::string(name) + "\"} 1") !=
        std::string::npos)
      ++successes;
  CHECK(successes == 2);
  CHECK(line.rfind("MAILCANARY CRITICAL - 2 of 3 scenarios ok; slow: imap.wait took 6s > warn 5s; "
                   "left: imap.wait expunge_skipped",
                   0) == 0);
}
