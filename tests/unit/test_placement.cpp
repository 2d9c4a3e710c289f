// Where the probe landed (inbox, junk, missing) in every output: the result document, the table,
// the HTML report, JUnit and the metrics (checked by promtool where installed); and absent from
// each when imap.wait did not set it.
#include <unistd.h>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "probe/table.hpp"
#include "reporters/file_reporters.hpp"
#include "reporters/html_reporter.hpp"
#include "reporters/junit_reporter.hpp"
#include "reporters/metrics.hpp"
#include "results/result.hpp"

namespace {

namespace fs = std::filesystem;
using mc::Placement;
using mc::RunResult;
using mc::ScenarioResult;
using mc::Status;

ScenarioResult scenario(const std::string& name, std::optional<Placement> placement,
                        std::string mailbox) {
  ScenarioResult sc;
  sc.name = name;
  sc.status = Status::ok;
  sc.duration_s = 0.5;
  sc.started_at = mc::Wall::time_point(std::chrono::seconds(1'800'000'000));
  mc::StepResult wait;
  wait.step = "imap.wait";
  wait.duration_s = 0.3;
  sc.steps = {wait};
  sc.placement = placement;
  sc.placement_mailbox = std::move(mailbox);
  return sc;
}

RunResult run_of(std::vector<ScenarioResult> scenarios) {
  RunResult r;
  r.version = "0.1.0";
  r.vantage = "fra1";
  r.started_at = mc::Wall::time_point(std::chrono::seconds(1'800'000'000));
  r.scenarios = std::move(scenarios);
  return r;
}

// Landed in Junk (a junk "ignore" scenario: it still succeeds), in the inbox, and never came.
RunResult placed_run() {
  auto junk = scenario("to-junk", Placement::junk, "Junk");
  auto inbox = scenario("to-inbox", Placement::inbox, "INBOX");
  auto missing = scenario("never-came", Placement::missing, "");
  missing.status = Status::critical;
  missing.steps[0].status = "failed";
  missing.failure = mc::ScenarioFailure{
      "imap.wait", mc::Failure{mc::Reason::not_delivered, "search", "not in the mailbox", {}}};
  return run_of({junk, inbox, missing});
}

RunResult unplaced_run() {
  return run_of({scenario("plain", std::nullopt, "")});
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string table_of(const RunResult& run) {
  std::ostringstream out;
  mc::print_table(out, run);
  return out.str();
}

// Runs `tool ARGS < text`; nullopt when the tool is not installed.
std::optional<int> check_with(const std::string& tool, const std::string& args,
                              const std::string& text, const std::string& suffix) {
  if (std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) != 0) return std::nullopt;
  const fs::path path =
      fs::temp_directory_path() / ("mc-placement-" + std::to_string(::getpid()) + suffix);
  std::ofstream(path, std::ios::binary) << text;
  const int rc = std::system((tool + " " + args + " < '" + path.string() + "'").c_str());
  fs::remove(path);
  return rc;
}

}  // namespace

TEST_CASE("placement: the result document has placement and its mailbox only when set",
          "[placement][result]") {
  const auto j = mc::to_json(placed_run());
  const auto& junk = j["scenarios"][0];
  CHECK(junk["placement"] == "junk");
  CHECK(junk["placement_mailbox"] == "Junk");
  CHECK(j["scenarios"][1]["placement"] == "inbox");
  CHECK(j["scenarios"][1]["placement_mailbox"] == "INBOX");
  const auto& missing = j["scenarios"][2];
  CHECK(missing["placement"] == "missing");
  CHECK_FALSE(missing.contains("placement_mailbox"));  // found in no mailbox

  const auto plain = mc::to_json(unplaced_run())["scenarios"][0];
  CHECK_FALSE(plain.contains("placement"));
  CHECK_FALSE(plain.contains("placement_mailbox"));
}

TEST_CASE("placement: the table names it on the scenario's line", "[placement][table]") {
  const std::string t = table_of(placed_run());
  CHECK(has(t, "\nto-junk  OK  total    500.0 ms  placement junk (mailbox Junk)\n"));
  CHECK(has(t, "\nto-inbox  OK  total    500.0 ms  placement inbox (mailbox INBOX)\n"));
  CHECK(has(t, "\nnever-came  CRITICAL  total    500.0 ms  placement missing\n"));
  CHECK_FALSE(has(table_of(unplaced_run()), "placement"));
}

TEST_CASE("placement: metrics carry one info series, the actual placement, valid for promtool",
          "[placement][metrics]") {
  const std::string m = mc::render_metrics(placed_run(), {}, true);
  CHECK(has(m, "# HELP mailcanary_placement_info "));
  CHECK(has(m, "# TYPE mailcanary_placement_info gauge\n"));
  CHECK(has(m,
            "\nmailcanary_placement_info{scenario=\"to-junk\",placement=\"junk\","
            "vantage=\"fra1\"} 1\n"));
  CHECK(has(m,
            "\nmailcanary_placement_info{scenario=\"to-inbox\",placement=\"inbox\","
            "vantage=\"fra1\"} 1\n"));
  CHECK(has(m,
            "\nmailcanary_placement_info{scenario=\"never-came\",placement=\"missing\","
            "vantage=\"fra1\"} 1\n"));
  CHECK_FALSE(has(m, "placement=\"inbox\",vantage=\"fra1\"} 0"));
  CHECK_FALSE(has(m, "Junk"));  // the mailbox name is no label
  // Through the Pushgateway the vantage comes from the grouping key.
  CHECK(has(mc::render_metrics(placed_run(), {}, false),
            "\nmailcanary_placement_info{scenario=\"to-junk\",placement=\"junk\"} 1\n"));

  const std::string plain = mc::render_metrics(unplaced_run(), {}, true);
  CHECK(has(plain, "# TYPE mailcanary_placement_info gauge\n"));
  CHECK_FALSE(has(plain, "mailcanary_placement_info{"));

  if (const auto rc = check_with("promtool", "check metrics", m, ".prom"))
    CHECK(*rc == 0);
  else
    WARN("promtool not found (package prometheus); the text format was not checked by it");
}

TEST_CASE("placement: JUnit has it as test case properties and in system-out",
          "[placement][reporters]") {
  const std::string x = mc::render_junit(placed_run());
  CHECK(has(x,
            "name=\"to-junk\" time=\"0.500\">\n      <properties>\n"
            "        <property name=\"placement\" value=\"junk\"/>\n"
            "        <property name=\"placement_mailbox\" value=\"Junk\"/>\n"
            "      </properties>\n      <system-out>"));
  CHECK(has(x, "placement: junk (mailbox Junk)\n"));
  // A missing probe: the property, then the failure.
  CHECK(has(x,
            "name=\"never-came\" time=\"0.500\">\n      <properties>\n"
            "        <property name=\"placement\" value=\"missing\"/>\n"
            "      </properties>\n      <failure "));
  CHECK(has(x, "placement: missing\n"));
  if (const auto rc = check_with("xmllint", "--noout -", x, ".xml"))
    CHECK(*rc == 0);
  else
    WARN("xmllint not found (package libxml2-utils); the document was not checked by it");

  auto hostile = run_of({scenario("s", Placement::junk, "Spam & \"<Junk>\"")});
  const std::string hx = mc::render_junit(hostile);
  CHECK(has(hx, "value=\"Spam &amp; &quot;&lt;Junk&gt;&quot;\""));

  const std::string plain = mc::render_junit(unplaced_run());
  CHECK_FALSE(has(plain, "placement"));
  CHECK(has(plain, "time=\"0.500\">\n      <system-out>"));
}

TEST_CASE("placement: the HTML report shows it in the overview and on the scenario",
          "[placement][reporters]") {
  const std::string h = mc::render_html(placed_run(), {});
  CHECK(has(h, "<th>placement</th>"));
  CHECK(has(h, " &middot; placement <span class=\"badge warning\">JUNK</span> in <b>Junk</b>"));
  CHECK(has(h, " &middot; placement <span class=\"badge ok\">INBOX</span> in <b>INBOX</b>"));
  CHECK(has(h, " &middot; placement <span class=\"badge critical\">MISSING</span> &middot;"));
  CHECK(has(h, "</td><td><span class=\"badge warning\">JUNK</span></td><td>"));

  const std::string hostile =
      mc::render_html(run_of({scenario("s", Placement::junk, "<script>x</script>")}), {});
  CHECK(has(hostile, "in <b>&lt;script&gt;x&lt;/script&gt;</b>"));
  CHECK_FALSE(has(hostile, "<script>x"));

  const std::string plain = mc::render_html(unplaced_run(), {});
  CHECK_FALSE(has(plain, "&middot; placement"));
  CHECK(has(plain, "</td><td>&ndash;</td><td>"));  // the overview's placement column
}
