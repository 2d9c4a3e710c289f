#include "reporters/file_reporters.hpp"

#include <cstdio>
#include <map>

#include "reporters/json_reporter.hpp"
#include "reporters/metrics.hpp"

namespace mc {

std::optional<std::string> JsonReporter::write(const RunResult& run, const ReportContext&) {
  return write_json_result(path_, run);
}

std::optional<std::string> JsonLinesReporter::write(const RunResult& run, const ReportContext&) {
  return append_json_line(path_, run);
}

std::optional<std::string> TextfileReporter::write(const RunResult& run, const ReportContext& ctx) {
  return write_file_atomically(path_, render_metrics(run, ctx, true));
}

namespace {

// Plugin output is one line, and '|' starts the perfdata: neither may appear in the text.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == '|') c = '/';
  }
  return s;
}

std::string label(const std::string& text) {
  std::string out = "'";
  for (char c : one_line(text)) {
    if (c == '=') c = '_';  // '=' ends a label, whatever the quoting
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string seconds(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string threshold(const std::optional<double>& v) {
  return v ? seconds(*v) : "";
}

std::string perf(const std::string& name, double value, const std::optional<double>& warn = {},
                 const std::optional<double>& crit = {}) {
  return label(name) + "=" + seconds(value) + "s;" + threshold(warn) + ";" + threshold(crit) +
         ";0;";
}

const char* status_word(Status s) {
  switch (s) {
    case Status::ok:
      return "OK";
    case Status::warning:
      return "WARNING";
    case Status::critical:
      return "CRITICAL";
    case Status::unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::string problem_of(const ScenarioResult& sc) {
  if (sc.failure) {
    const auto& f = sc.failure->failure;
    std::string s = sc.name + ": " + failure_place(sc) + " " + std::string(to_string(f.reason));
    if (f.reply) {
      s += " (" + reply_text(*f.reply) + ")";
    } else if (!f.message.empty()) {
      s += " (" + f.message + ")";
    }
    return s;
  }
  // A certificate within its threshold, critical first: the round trip itself worked.
  auto expiring = [&](const char* threshold) -> std::string {
    for (const auto& st : sc.steps)
      if (st.tls && st.tls->expiry_threshold == threshold)
        return sc.name + ": " + st.step + " " + tls_expiry_note(st);
    return {};
  };
  if (auto p = expiring("crit"); !p.empty()) return p;
  // Why a step that ran to the end is a warning, in the step kind's own words.
  for (const auto& st : sc.steps)
    if (st.note) return sc.name + ": " + st.step + " " + *st.note;
  for (const auto& st : sc.steps)
    if (st.threshold) {
      const auto& limit = *st.threshold == "crit" ? st.crit_s : st.warn_s;
      return sc.name + ": " + st.step + " took " + seconds(st.duration_s) + "s > " + *st.threshold +
             " " + (limit ? seconds(*limit) + "s" : "");
    }
  if (auto p = expiring("warn"); !p.empty()) return p;
  return sc.name + ": " + std::string(to_string(sc.status));
}

}  // namespace

std::string nagios_line(const RunResult& run) {
  std::size_t ok = 0;
  std::vector<std::string> problems;
  // "ok" counts what the metrics count as a success (mailcanary_success 1): ran to the end
  // without a failure, thresholds exceeded or not. Whatever is not plainly OK is named.
  for (const auto& sc : run.scenarios) {
    if (scenario_succeeded(sc)) ++ok;
    if (sc.status != Status::ok) problems.push_back(problem_of(sc));
  }
  std::string summary =
      std::to_string(ok) + " of " + std::to_string(run.scenarios.size()) + " scenarios ok";
  for (const auto& p : problems) summary += "; " + p;

  std::string perfdata;
  auto add = [&](const std::string& p) { perfdata += (perfdata.empty() ? "" : " ") + p; };
  for (const auto& sc : run.scenarios) {
    add(perf(sc.name + " total", sc.duration_s));
    if (sc.delivery_s) add(perf(sc.name + " delivery", *sc.delivery_s));
    for (const auto& hp : sc.hops)
      if (hp.delay_s) add(perf(sc.name + " hop " + hp.hop, *hp.delay_s));
    std::map<std::string, int> seen;
    for (const auto& st : sc.steps) {
      if (st.status == "skipped") continue;
      const int n = ++seen[st.step];
      add(perf(sc.name + " " + st.step + (n > 1 ? "#" + std::to_string(n) : ""), st.duration_s,
               st.warn_s, st.crit_s));
    }
  }
  return std::string("MAILCANARY ") + status_word(run.status) + " - " + one_line(summary) +
         (perfdata.empty() ? "" : " | " + perfdata);
}

std::string nagios_unknown_line(const std::string& reason) {
  return "MAILCANARY UNKNOWN - " + one_line(reason);
}

std::optional<std::string> NagiosReporter::write(const RunResult& run, const ReportContext&) {
  out_ << nagios_line(run) << "\n" << std::flush;
  return std::nullopt;
}

}  // namespace mc
