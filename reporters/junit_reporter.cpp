#include "reporters/junit_reporter.hpp"

#include <cstdio>
#include <iostream>

#include "reporters/json_reporter.hpp"
#include "reporters/markup.hpp"

namespace mc {
namespace {

using markup::escape;

std::string attr(std::string_view text) {
  return escape(text, true);
}

// JUnit times are seconds with a decimal point; milliseconds are as fine as CI systems show.
std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s < 0 ? 0.0 : s);
  return buf;
}

// The Ant JUnit schema's timestamp carries no time zone; it is UTC here.
std::string timestamp(Wall::time_point t) {
  return iso8601(t).substr(0, 19);
}

std::string threshold_note(const StepResult& st) {
  if (!st.threshold) return {};
  const bool crit = *st.threshold == "crit";
  const auto& limit = crit ? st.crit_s : st.warn_s;
  std::string out =
      st.step + " took " + secs(st.duration_s) + " s, over its " + *st.threshold + " threshold";
  if (limit) out += " of " + secs(*limit) + " s";
  return out;
}

std::string failure_text(const ScenarioResult& sc) {
  std::string out;
  if (sc.failure) {
    const auto& f = sc.failure->failure;
    if (!sc.failure->step.empty()) out += "step: " + sc.failure->step + "\n";
    if (!f.phase.empty()) out += "phase: " + f.phase + "\n";
    out += "reason: " + std::string(to_string(f.reason)) + "\n";
    out += "message: " + f.message + "\n";
    if (f.reply) out += "server reply: " + reply_text(*f.reply) + "\n";
  }
  for (const auto& st : sc.steps)
    if (st.threshold) out += "threshold: " + threshold_note(st) + "\n";
  for (const auto& st : sc.steps)
    if (const auto note = tls_expiry_note(st); !note.empty())
      out += "certificate: " + st.step + " " + note + "\n";
  if (const StepResult* st = failed_step(sc)) {
    if (!st->server.empty())
      out += "server: " + st->server + (st->address.empty() ? "" : " (" + st->address + ")") + "\n";
    if (!st->transcript.empty()) {
      out += "\ntranscript of " + st->step + ":\n";
      for (const auto& l : st->transcript) {
        out += mark(l.dir) + l.text + "\n";
      }
    }
  }
  return out;
}

// "STEP/PHASE: REASON", or what exceeded its critical threshold.
std::pair<std::string, std::string> failure_head(const ScenarioResult& sc) {
  if (sc.failure) {
    const auto& f = sc.failure->failure;
    const std::string where = failure_place(sc);
    const std::string reason(to_string(f.reason));
    return {(where.empty() ? "" : where + ": ") + reason, reason};
  }
  for (const auto& st : sc.steps)
    if (st.threshold && *st.threshold == "crit")
      return {st.step + ": " + "crit threshold", "threshold"};
  for (const auto& st : sc.steps)
    if (st.tls && st.tls->expiry_threshold == "crit")
      return {st.step + ": certificate expiry crit threshold", "tls_expiry"};
  // A step that made itself critical without a time threshold (a spam score over its crit).
  for (const auto& st : sc.steps)
    if (st.note && st.status == "critical") return {st.step + ": " + *st.note, "threshold"};
  return {"scenario failed", "failed"};
}

// Timings for every test case: what an operator looks at first when a CI job shows the run.
std::string summary(const ScenarioResult& sc) {
  std::string out = "status: " + std::string(to_string(sc.status)) + "\n";
  for (const auto& st : sc.steps)
    if (st.threshold)
      out += (*st.threshold == "crit" ? "CRITICAL: " : "WARNING: ") + threshold_note(st) + "\n";
  for (const auto& st : sc.steps)
    if (const auto note = tls_expiry_note(st); !note.empty())
      out += (*st.tls->expiry_threshold == "crit" ? "CRITICAL: " : "WARNING: ") + st.step + " " +
             note + "\n";
  for (const auto& st : sc.steps)
    if (st.note)
      out +=
          (st.status == "critical" ? "CRITICAL: " : "WARNING: ") + st.step + " " + *st.note + "\n";
  // A non-critical failure (a copy in Junk with "junk": "warn") is worth a line too.
  if (sc.failure && (sc.status == Status::ok || sc.status == Status::warning))
    out += "WARNING: " + failure_head(sc).first + " - " + sc.failure->failure.message + "\n";
  out += "duration: " + secs(sc.duration_s) + " s\n";
  if (sc.delivery_s) out += "delivery: " + secs(*sc.delivery_s) + " s\n";
  if (const auto where = placement_text(sc); !where.empty()) out += "placement: " + where + "\n";
  for (const auto& st : sc.steps) {
    out += "step " + st.step + ": " + st.status + ", " + secs(st.duration_s) + " s";
    if (!st.server.empty()) out += ", " + st.server;
    if (st.tls) out += ", " + st.tls->version + (st.tls->verified ? "" : " NOT verified");
    if (st.tls && !st.tls->fingerprint_sha256.empty())
      out += ", sha256 " + st.tls->fingerprint_sha256;
    for (const auto& d : st.details)
      if (d.summary && !d.text.empty()) out += ", " + d.text;
    out += "\n";
  }
  for (const auto& p : sc.late) {
    out += "late probe queued " + iso8601(p.queued_at);
    if (p.delivery_s) out += ", delivered after " + secs(*p.delivery_s) + " s";
    out += "\n";
  }
  for (const auto& p : sc.lost) out += "lost probe queued " + iso8601(p.queued_at) + "\n";
  if (sc.pending > 0) out += "pending probes of earlier runs: " + std::to_string(sc.pending) + "\n";
  return out;
}

}  // namespace

std::string render_junit(const RunResult& run) {
  int failures = 0, errors = 0;
  for (const auto& sc : run.scenarios) {
    if (sc.status == Status::critical) ++failures;
    if (sc.status == Status::unknown) ++errors;
  }
  const std::string counts = " tests=\"" + std::to_string(run.scenarios.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
                             "\" skipped=\"0\" time=\"" + secs(run.duration_s) + "\"";
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites name=\"mailcanary\"" + counts + ">\n";
  x += "  <testsuite name=\"mailcanary\"" + counts + " timestamp=\"" + timestamp(run.started_at) +
       "\" hostname=\"" + attr(run.vantage) + "\">\n";
  x += "    <properties>\n";
  auto property = [&](std::string_view name, std::string_view value,
                      std::string_view indent = "      ") {
    x += std::string(indent) + "<property name=\"" + attr(name) + "\" value=\"" + attr(value) +
         "\"/>\n";
  };
  property("vantage", run.vantage);
  property("version", run.version);
  property("status", to_string(run.status));
  property("started_at", iso8601(run.started_at));
  x += "    </properties>\n";
  const std::string classname = "mailcanary." + run.vantage;
  for (const auto& sc : run.scenarios) {
    x += "    <testcase classname=\"" + attr(classname) + "\" name=\"" + attr(sc.name) +
         "\" time=\"" + secs(sc.duration_s) + "\">\n";
    // Per test case, as pytest's record_property writes them: CI systems list them by the test.
    if (sc.placement) {
      x += "      <properties>\n";
      property("placement", to_string(*sc.placement), "        ");
      if (!sc.placement_mailbox.empty())
        property("placement_mailbox", sc.placement_mailbox, "        ");
      x += "      </properties>\n";
    }
    if (sc.status == Status::critical || sc.status == Status::unknown) {
      const char* element = sc.status == Status::critical ? "failure" : "error";
      const auto [message, type] = failure_head(sc);
      x += std::string("      <") + element + " message=\"" + attr(message) + "\" type=\"" +
           attr(type) + "\">" + escape(failure_text(sc)) + "</" + element + ">\n";
    }
    x += "      <system-out>" + escape(summary(sc)) + "</system-out>\n";
    x += "    </testcase>\n";
  }
  if (!run.warnings.empty()) {
    std::string w;
    for (const auto& line : run.warnings) w += "warning: " + line + "\n";
    x += "    <system-err>" + escape(w) + "</system-err>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

std::optional<std::string> JUnitReporter::write(const RunResult& run, const ReportContext&) {
  const std::string doc = render_junit(run);
  if (path_ == "-") {
    std::cout << doc << std::flush;
    return std::nullopt;
  }
  return write_file_atomically(path_, doc);
}

}  // namespace mc
