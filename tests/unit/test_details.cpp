// A step kind's own facts (Details) reach every reporter without the reporter knowing the kind:
// a detail no reporter has heard of appears in the result document under its key, in the
// table, in the HTML report (escaped) and, marked summary, on JUnit's step line; a step's note
// is the Nagios line's reason. The metrics carry no kind's facts at all.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "probe/table.hpp"
#include "reporters/file_reporters.hpp"
#include "reporters/html_reporter.hpp"
#include "reporters/junit_reporter.hpp"
#include "reporters/metrics.hpp"

using namespace mc;

namespace {

const std::string kText = "mailboxes INBOX, Archive";
const std::string kHostileText = "folder <Old> & \"Spam\"";

RunResult run_with(bool details) {
  RunResult run;
  run.version = "0.1.0";
  run.vantage = "fra1";
  run.status = Status::warning;
  ScenarioResult sc;
  sc.name = "folders";
  sc.status = Status::warning;
  sc.duration_s = 0.3;
  StepResult st;
  st.step = "imap.list";  // a kind no reporter knows
  st.status = "warning";
  st.duration_s = 0.25;
  st.server = "imaps://mail.example.test:993";
  st.phases = {{"login", 0.0, 0.1}, {"list", 0.1, 0.15}};
  if (details) {
    st.add_detail("mailboxes", nlohmann::json::array({"INBOX", "Archive"}), kText,
                  /*summary=*/true);
    st.add_detail("odd_folder", "<Old>", kHostileText);
    st.add_detail("list_bytes", 812, "");  // for the document only
    st.note = "mailboxes_missing (Spam is not there)";
  }
  sc.steps = {st};
  run.scenarios = {sc};
  return run;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("details: an unknown kind's detail in the result document, under its key", "[details]") {
  const auto st = to_json(run_with(true))["scenarios"][0]["steps"][0];
  CHECK(st["mailboxes"] == nlohmann::json::array({"INBOX", "Archive"}));
  CHECK(st["odd_folder"] == "<Old>");
  CHECK(st["list_bytes"] == 812);
  const std::string doc = to_json(run_with(true)).dump();
  CHECK(doc.find(kText) == std::string::npos);  // texts are for people, not the document
  CHECK(doc.find("mailboxes_missing") == std::string::npos);
}

TEST_CASE("details: an unknown kind's detail in the table, one line each", "[details]") {
  std::ostringstream out;
  print_table(out, run_with(true));
  const std::string t = out.str();
  CHECK(t.find("\n    " + kText + "\n") != std::string::npos);
  CHECK(t.find("\n    " + kHostileText + "\n") != std::string::npos);
  CHECK(t.find("\n    \n") == std::string::npos);  // a detail without text has no line
  std::ostringstream bare;
  print_table(bare, run_with(false));
  CHECK(count(t, "\n") == count(bare.str(), "\n") + 2);
}

TEST_CASE("details: an unknown kind's detail in the HTML report, escaped", "[details]") {
  const std::string h = render_html(run_with(true), ReportContext{});
  CHECK(count(h, kText) == 1);
  CHECK(h.find("folder &lt;Old&gt; &amp; &quot;Spam&quot;") != std::string::npos);
  CHECK(h.find("<Old>") == std::string::npos);
}

TEST_CASE("details: summary details on JUnit's step line, escaped", "[details]") {
  const std::string x = render_junit(run_with(true));
  CHECK(x.find("step imap.list: warning, 0.250 s, imaps://mail.example.test:993, " + kText +
               "\n") != std::string::npos);
  // Not marked summary: not on the line.
  CHECK(x.find("folder &lt;Old&gt;") == std::string::npos);
  CHECK(x.find("<Old>") == std::string::npos);
}

TEST_CASE("details: a step's note is the Nagios line's reason for the warning", "[details]") {
  CHECK(nagios_line(run_with(true))
            .rfind("MAILCANARY WARNING - 1 of 1 scenarios ok; folders: imap.list "
                   "mailboxes_missing (Spam is not there) | ",
                   0) == 0);
}

TEST_CASE("details: the metrics hold no kind's facts", "[details]") {
  CHECK(render_metrics(run_with(true), {}, true) == render_metrics(run_with(false), {}, true));
}
