// Certificate expiry thresholds (a server's tls.expiry_warn / expiry_crit): the judgement from a
// step's TLS facts at boundaries, its wording, every reporter that shows it, and whole scenarios
// on the scripted platform whose certificate has a chosen time left.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "probe/runner.hpp"
#include "probe/table.hpp"
#include "probe/tls_expiry.hpp"
#include "reporters/file_reporters.hpp"
#include "reporters/html_reporter.hpp"
#include "reporters/junit_reporter.hpp"
#include "reporters/metrics.hpp"
#include "tests/unit/scenario_rows.hpp"
#include "tests/unit/scripted_platform.hpp"

namespace {

using namespace std::chrono_literals;
using mc::Status;
using mc::StepResult;
using mc::Wall;

constexpr double kDay = 86400;
const Wall::time_point kNow = Wall::time_point(std::chrono::seconds(1'800'000'000));
const std::string kFingerprint =
    "69:72:9B:8E:15:A8:6E:FC:17:7A:57:AF:B7:17:1D:FC:64:AD:D2:8C:2F:CA:8C:F1:50:7E:34:45:3C:CB:14:"
    "70";

// A step whose verified chain expires `left` after kNow, with the thresholds given in days.
StepResult step_expiring(Wall::duration left, std::optional<double> warn_days,
                         std::optional<double> crit_days) {
  StepResult s;
  s.step = "smtp.send";
  s.server = "smtp://mx.example.test:25";
  s.tls.emplace();
  s.tls->version = "TLSv1.3";
  s.tls->cipher = "TLS_AES_256_GCM_SHA384";
  s.tls->verified = true;
  s.tls->cert_not_after = kNow + left + 40 * 24h;
  s.tls->chain_not_after = kNow + left;
  s.tls->fingerprint_sha256 = kFingerprint;
  s.tls->expiry_subject = "CN=mx.example.test,O=Example";
  if (warn_days) s.tls->expiry_warn_s = *warn_days * kDay;
  if (crit_days) s.tls->expiry_crit_s = *crit_days * kDay;
  return s;
}

mc::RunResult run_of(const StepResult& st, Status status) {
  mc::RunResult run;
  run.version = "0.1.0";
  run.vantage = "fra1";
  run.started_at = kNow;
  run.status = status;
  mc::ScenarioResult sc;
  sc.name = "mx";
  sc.status = status;
  sc.started_at = kNow;
  sc.steps = {st};
  run.scenarios = {sc};
  return run;
}

}  // namespace

TEST_CASE("tls expiry: the threshold from the facts, at, below and above", "[tls_expiry]") {
  struct Case {
    Wall::duration left;
    std::optional<double> warn, crit;
    const char* threshold;  // "" for none
    const char* status;
    Status scenario;
  };
  const Case cases[] = {
      {30 * 24h, 21, 7, "", "ok", Status::ok},
      {21 * 24h + 1s, 21, 7, "", "ok", Status::ok},
      {21 * 24h, 21, 7, "warn", "warning", Status::warning},  // at the threshold is within it
      {8 * 24h, 21, 7, "warn", "warning", Status::warning},
      {7 * 24h, 21, 7, "crit", "critical", Status::critical},
      {3 * 24h, 21, 7, "crit", "critical", Status::critical},
      {3 * 24h, 21, std::nullopt, "warn", "warning", Status::warning},
      {3 * 24h, std::nullopt, 7, "crit", "critical", Status::critical},
      {3 * 24h, std::nullopt, std::nullopt, "", "ok", Status::ok},
  };
  for (const auto& c : cases) {
    auto st = step_expiring(c.left, c.warn, c.crit);
    INFO("left " << std::chrono::duration<double>(c.left).count() / kDay << " days");
    CHECK(mc::judge_tls_expiry(st, kNow) == c.scenario);
    CHECK(st.status == c.status);
    CHECK(st.tls->expiry_threshold.value_or("") == c.threshold);
    REQUIRE(st.tls->expiry_left_s);
    CHECK(*st.tls->expiry_left_s == Approx(std::chrono::duration<double>(c.left).count()));
    CHECK(st.threshold == std::nullopt);  // the time thresholds are not touched
  }
}

TEST_CASE("tls expiry: never better than the step was, and a failed step only carries the facts",
          "[tls_expiry]") {
  auto slow = step_expiring(3 * 24h, 21, 7);
  slow.status = "warning";
  slow.threshold = "warn";
  CHECK(mc::judge_tls_expiry(slow, kNow) == Status::critical);
  CHECK(slow.status == "critical");
  CHECK(slow.threshold == "warn");

  auto very_slow = step_expiring(10 * 24h, 21, 7);
  very_slow.status = "critical";
  CHECK(mc::judge_tls_expiry(very_slow, kNow) == Status::warning);
  CHECK(very_slow.status == "critical");

  for (const char* status : {"failed", "skipped"}) {
    auto st = step_expiring(3 * 24h, 21, 7);
    st.status = status;
    CHECK(mc::judge_tls_expiry(st, kNow) == Status::ok);
    CHECK(st.status == status);
    CHECK(st.tls->expiry_threshold == "crit");
  }

  StepResult plain;
  plain.step = "smtp.send";
  CHECK(mc::judge_tls_expiry(plain, kNow) == Status::ok);
  CHECK_FALSE(plain.tls);
}

TEST_CASE("tls expiry: without a verified chain the leaf's expiry counts, even a past one",
          "[tls_expiry]") {
  auto st = step_expiring(0s, 21, 7);
  st.tls->verified = false;
  st.tls->chain_not_after.reset();
  st.tls->cert_not_after = kNow - 50h;
  CHECK(mc::judge_tls_expiry(st, kNow) == Status::critical);
  CHECK(mc::tls_expiry_note(st) ==
        "certificate CN=mx.example.test,O=Example of smtp://mx.example.test:25 expired 2 days ago "
        "(2027-01-13T06:00:00.000Z), within the crit threshold of 7 days");
}

TEST_CASE("tls expiry: the note names the certificate, its time left and the threshold",
          "[tls_expiry]") {
  auto st = step_expiring(2 * 24h + 23h, 21, 7);
  mc::judge_tls_expiry(st, kNow);
  CHECK(mc::tls_expiry_note(st) ==
        "certificate CN=mx.example.test,O=Example of smtp://mx.example.test:25 expires in 2 days "
        "(2027-01-18T07:00:00.000Z), within the crit threshold of 7 days");

  auto intermediate = step_expiring(20 * 24h, 21, 1.5);
  intermediate.tls->expiry_subject = "CN=Example Issuing CA";
  intermediate.tls->expiry_depth = 1;
  mc::judge_tls_expiry(intermediate, kNow);
  CHECK(mc::tls_expiry_note(intermediate) ==
        "certificate CN=Example Issuing CA (depth 1 in the chain) of smtp://mx.example.test:25 "
        "expires in 20 days (2027-02-04T08:00:00.000Z), within the warn threshold of 21 days");

  auto hours = step_expiring(5h + 59min, 1, 0.25);
  mc::judge_tls_expiry(hours, kNow);
  CHECK(mc::tls_expiry_note(hours).find("expires in 5 hours (") != std::string::npos);
  CHECK(mc::tls_expiry_note(hours).find("within the crit threshold of 6h") != std::string::npos);
  auto minutes = step_expiring(10min, 1, std::nullopt);
  mc::judge_tls_expiry(minutes, kNow);
  CHECK(mc::tls_expiry_note(minutes).find("expires in less than an hour (") != std::string::npos);
  CHECK(mc::tls_expiry_note(minutes).find("within the warn threshold of 1 day") !=
        std::string::npos);

  auto fine = step_expiring(60 * 24h, 21, 7);
  mc::judge_tls_expiry(fine, kNow);
  CHECK(mc::tls_expiry_note(fine).empty());
}

TEST_CASE("tls expiry: the result document holds fingerprint, days left and thresholds",
          "[tls_expiry]") {
  auto st = step_expiring(2 * 24h + 23h, 21, 7);
  mc::judge_tls_expiry(st, kNow);
  const auto j = mc::to_json(run_of(st, Status::critical));
  const auto& t = j["scenarios"][0]["steps"][0]["tls"];
  CHECK(t["fingerprint_sha256"] == kFingerprint);
  CHECK(t["expiry_subject"] == "CN=mx.example.test,O=Example");
  CHECK(t["expiry_depth"] == 0);
  CHECK(t["expiry_days_left"] == 2);
  CHECK(t["expiry_warn_s"] == 21 * kDay);
  CHECK(t["expiry_crit_s"] == 7 * kDay);
  CHECK(t["expiry_threshold"] == "crit");
  CHECK(j["scenarios"][0]["steps"][0]["status"] == "critical");
  CHECK(j["scenarios"][0]["failure"].is_null());
  CHECK_FALSE(j["scenarios"][0]["steps"][0].contains("threshold"));

  auto none = step_expiring(60 * 24h, std::nullopt, std::nullopt);
  none.tls->fingerprint_sha256.clear();
  const auto k = mc::to_json(run_of(none, Status::ok))["scenarios"][0]["steps"][0]["tls"];
  for (const char* key : {"fingerprint_sha256", "expiry_days_left", "expiry_warn_s",
                          "expiry_crit_s", "expiry_threshold"})
    CHECK_FALSE(k.contains(key));
}

TEST_CASE("tls expiry: table, HTML, JUnit and Nagios say which certificate and why",
          "[tls_expiry]") {
  auto st = step_expiring(2 * 24h + 23h, 21, 7);
  mc::judge_tls_expiry(st, kNow);
  const auto run = run_of(st, Status::critical);
  const std::string note = mc::tls_expiry_note(st);
  REQUIRE_FALSE(note.empty());

  std::ostringstream table;
  mc::print_table(table, run);
  CHECK(table.str().find("    certificate sha256 " + kFingerprint + "\n") != std::string::npos);
  CHECK(table.str().find("    CRITICAL: " + note + "\n") != std::string::npos);

  const std::string html = mc::render_html(run, mc::ReportContext{});
  CHECK(html.find("<li class=\"crit-text\">smtp.send " + note + "</li>") != std::string::npos);
  CHECK(html.find("sha256 " + kFingerprint + "</span>") != std::string::npos);
  CHECK(html.find("<span class=\"crit-text\">within its crit threshold</span>") !=
        std::string::npos);

  const std::string junit = mc::render_junit(run);
  CHECK(junit.find("<failure message=\"smtp.send: certificate expiry crit threshold\" "
                   "type=\"tls_expiry\">") != std::string::npos);
  CHECK(junit.find("certificate: smtp.send " + note) != std::string::npos);
  CHECK(junit.find("CRITICAL: smtp.send " + note) != std::string::npos);
  CHECK(junit.find(", sha256 " + kFingerprint) != std::string::npos);

  CHECK(mc::nagios_line(run).rfind(
            "MAILCANARY CRITICAL - 1 of 1 scenarios ok; mx: smtp.send " + note + " | ", 0) == 0);

  // A warning passes in JUnit, with the certificate named in its output.
  auto soon = step_expiring(10 * 24h, 21, 7);
  mc::judge_tls_expiry(soon, kNow);
  const auto warned = run_of(soon, Status::warning);
  const std::string passing = mc::render_junit(warned);
  CHECK(passing.find("<failure") == std::string::npos);
  CHECK(passing.find("WARNING: smtp.send " + mc::tls_expiry_note(soon)) != std::string::npos);
  CHECK(mc::nagios_line(warned).rfind("MAILCANARY WARNING - 1 of 1 scenarios ok; mx: smtp.send "
                                      "certificate CN=mx.example.test,O=Example of "
                                      "smtp://mx.example.test:25 expires in 10 days",
                                      0) == 0);
}

TEST_CASE("tls expiry: the thresholds are metrics, next to the expiry timestamp", "[tls_expiry]") {
  auto st = step_expiring(10 * 24h, 21, 7);
  mc::judge_tls_expiry(st, kNow);
  const std::string text =
      mc::render_metrics(run_of(st, Status::warning), mc::ReportContext{}, true);
  CHECK(text.find("# TYPE mailcanary_tls_cert_expiry_threshold_seconds gauge\n") !=
        std::string::npos);
  CHECK(text.find("mailcanary_tls_cert_expiry_threshold_seconds{scenario=\"mx\",step=\"smtp.send\","
                  "threshold=\"warn\",vantage=\"fra1\"} 1814400\n") != std::string::npos);
  CHECK(text.find("mailcanary_tls_cert_expiry_threshold_seconds{scenario=\"mx\",step=\"smtp.send\","
                  "threshold=\"crit\",vantage=\"fra1\"} 604800\n") != std::string::npos);
  // The fingerprint is no label: it changes at every renewal.
  CHECK(text.find(kFingerprint) == std::string::npos);

  auto none = step_expiring(10 * 24h, std::nullopt, std::nullopt);
  CHECK(mc::render_metrics(run_of(none, Status::ok), mc::ReportContext{}, true)
            .find("mailcanary_tls_cert_expiry_threshold_seconds{") == std::string::npos);
}

namespace {

// The scripted platform (port 465 SMTP, 993 IMAP, both implicit TLS) with `tls` as the
// servers' own block and `defaults` as defaults.tls.
mc::RunResult run_on(scripted::Platform& p, scripted::FakeClock& clock, const std::string& tls,
                     const std::string& defaults = "{}") {
  scenario_rows::TempDir dir;
  ::setenv("MC_RUNNER_PW", p.password.c_str(), 1);
  const std::string path = dir.path() + "/s.json";
  std::ofstream(path) << R"({ "version": 1, "defaults": { "tls": )" << defaults << R"( },
  "servers": { "submission": { "url": "smtps://mail.test:465", "tls": )"
                      << tls << R"( },
               "store": { "url": "imaps://mail.test:993" } },
  "accounts": { "probe": { "user": "probe@mail.test", "password": { "env": "MC_RUNNER_PW" } } },
  "scenarios": [ { "name": "s", "steps": [
    { "step": "smtp.send", "server": "submission", "account": "probe" },
    { "step": "imap.wait", "server": "store", "account": "probe", "timeout": "5s" },
    { "step": "imap.delete" } ] } ] })";
  auto loaded = mc::scn::load_files({path});
  for (const auto& problem : loaded.problems) FAIL(problem.format());
  scripted::ScriptedTransport transport(p);
  mc::RunOptions o;
  o.clock = &clock;
  o.transport = &transport;
  return mc::run_scenarios(loaded.files, o);
}

}  // namespace

TEST_CASE(
    "runner: a certificate within its threshold makes the scenario warning or critical, "
    "never a failure",
    "[tls_expiry][runner]") {
  struct Case {
    Wall::duration left;
    const char* send_status;
    Status scenario;
  };
  for (const Case c :
       {Case{3 * 24h, "critical", Status::critical}, Case{10 * 24h, "warning", Status::warning},
        Case{30 * 24h, "ok", Status::ok}}) {
    scripted::FakeClock clock;
    scripted::Platform p(clock);
    p.cert_not_after = clock.wall_now() + c.left;
    p.cert_fingerprint = kFingerprint;
    const auto r = run_on(p, clock, R"({ "expiry_warn": "21d", "expiry_crit": "7d" })");
    const auto& sc = r.scenarios.at(0);
    INFO("left " << std::chrono::duration<double>(c.left).count() / kDay << " days");
    CHECK_FALSE(sc.failure);  // the round trip worked
    REQUIRE(sc.delivery_s);
    CHECK(sc.status == c.scenario);
    CHECK(r.status == c.scenario);
    REQUIRE(sc.steps.size() == 3);
    const auto& send = sc.steps[0];
    CHECK(send.status == c.send_status);
    REQUIRE(send.tls);
    CHECK(send.tls->fingerprint_sha256 == kFingerprint);
    CHECK(send.tls->expiry_warn_s == 21 * kDay);
    CHECK(send.tls->expiry_crit_s == 7 * kDay);
    // Judged at the end of the step, by the run's clock.
    REQUIRE(send.tls->expiry_left_s);
    CHECK(*send.tls->expiry_left_s ==
          Approx(std::chrono::duration<double>(c.left).count() - send.duration_s).margin(0.01));
    // The store's own tls names no thresholds, and defaults.tls none either.
    for (std::size_t i : {1u, 2u}) {
      CHECK(sc.steps[i].status == "ok");
      REQUIRE(sc.steps[i].tls);
      CHECK_FALSE(sc.steps[i].tls->expiry_threshold);
      CHECK_FALSE(sc.steps[i].tls->expiry_warn_s);
    }
  }
}

TEST_CASE("runner: thresholds of defaults.tls reach every server, and its own tls keeps them",
          "[tls_expiry][runner]") {
  scripted::FakeClock clock;
  scripted::Platform p(clock);
  p.cert_not_after = clock.wall_now() + 5 * 24h;
  const auto r = run_on(p, clock, R"({ "expiry_crit": "3d" })",
                        R"({ "expiry_warn": "21d", "expiry_crit": "7d" })");
  const auto& sc = r.scenarios.at(0);
  CHECK_FALSE(sc.failure);
  // submission: warn from the defaults, its own crit of 3 days; the store: both defaults.
  CHECK(sc.steps[0].status == "warning");
  CHECK(sc.steps[0].tls->expiry_crit_s == 3 * kDay);
  CHECK(sc.steps[0].tls->expiry_warn_s == 21 * kDay);
  CHECK(sc.steps[1].status == "critical");
  CHECK(sc.steps[2].status == "critical");  // the same session's facts, judged the same
  CHECK(sc.status == Status::critical);
}
