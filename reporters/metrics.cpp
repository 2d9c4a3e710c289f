#include "reporters/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

namespace mc {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Timestamps are ~1.8e9 seconds: they need every integer digit, and milliseconds at most.
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (std::fabs(v) >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3f", v);
  else
    std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

double unix_seconds(Wall::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// Collects the samples of each family, then prints families in a fixed order with HELP and
// TYPE, so that every family appears once and the output is stable.
class Exposition {
 public:
  Exposition(std::string vantage, bool with_vantage)
      : vantage_(std::move(vantage)), with_vantage_(with_vantage) {}

  void family(const std::string& name, const std::string& help) {
    order_.push_back(name);
    help_[name] = help;
  }
  void add(const std::string& name, Labels labels, double value) {
    if (with_vantage_) labels.emplace_back("vantage", vantage_);
    std::string line = name;
    line += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i) line += ',';
      line += labels[i].first + "=\"" + escape_label_value(labels[i].second) + '"';
    }
    line += "} " + number(value) + "\n";
    samples_[name] += line;
  }
  std::string text() const {
    std::string out;
    for (const auto& name : order_) {
      out += "# HELP " + name + " " + help_.at(name) + "\n";
      out += "# TYPE " + name + " gauge\n";
      auto it = samples_.find(name);
      if (it != samples_.end()) out += it->second;
    }
    return out;
  }

 private:
  std::string vantage_;
  bool with_vantage_;
  std::vector<std::string> order_;
  std::map<std::string, std::string> help_;
  std::map<std::string, std::string> samples_;
};

// The step label: its kind, with "#2", "#3"... for a kind that repeats within the scenario, so
// that no two series collide.
std::vector<std::string> step_labels(const ScenarioResult& sc) {
  std::map<std::string, int> seen;
  std::vector<std::string> out;
  for (const auto& st : sc.steps) {
    const int n = ++seen[st.step];
    out.push_back(n == 1 ? st.step : st.step + "#" + std::to_string(n));
  }
  return out;
}

}  // namespace

std::string escape_label_value(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// One series per zone and named address or domain (those found by "of" share the zone's):
// 1 when any answer is a listing, 0 when all are clean; an unknown answer is no evidence
// either way, so a zone with only unknown answers has no series.
void add_dnsbl(Exposition& e, const ScenarioResult& sc) {
  struct Seen {
    Labels labels;
    bool listed = false;
    bool unknown = false;
  };
  std::vector<Seen> series;
  for (const auto& d : sc.dnsbl) {
    Labels l = {{"scenario", sc.name}, {"zone", d.zone}};
    if (!d.address.empty()) l.emplace_back("address", d.address);
    if (!d.domain.empty()) l.emplace_back("domain", d.domain);
    auto it =
        std::find_if(series.begin(), series.end(), [&](const Seen& s) { return s.labels == l; });
    if (it == series.end()) it = series.insert(series.end(), Seen{l});
    it->listed = it->listed || d.verdict == "listed";
    it->unknown = it->unknown || d.verdict == "unknown";
  }
  for (const auto& s : series)
    if (s.listed || !s.unknown) e.add("mailcanary_dnsbl_listed", s.labels, s.listed ? 1 : 0);
}

bool scenario_succeeded(const ScenarioResult& sc) {
  return !sc.failure && sc.status != Status::unknown;
}

std::string render_metrics(const RunResult& run, const ReportContext& ctx, bool with_vantage) {
  Exposition e(run.vantage, with_vantage);
  e.family("mailcanary_success", "1 if the scenario ran to the end without a failure, else 0.");
  e.family("mailcanary_duration_seconds", "Duration of the scenario.");
  e.family("mailcanary_delivery_seconds",
           "From the server's 250 after the message to the probe seeing it in the mailbox.");
  e.family("mailcanary_step_duration_seconds", "Duration of each step that ran.");
  e.family("mailcanary_phase_duration_seconds",
           "Duration of each protocol phase of a step (repeated phases summed).");
  e.family("mailcanary_failure_info", "1 for the failing step, with its phase and reason.");
  e.family("mailcanary_tls_cert_expiry_timestamp_seconds",
           "Earliest expiry in the verified certificate chain (else the leaf's).");
  e.family("mailcanary_tls_info", "TLS version and cipher of a step's connection.");
  e.family("mailcanary_tls_cert_expiry_threshold_seconds",
           "The server's tls.expiry_warn and expiry_crit: time left before expiry that alarms.");
  e.family("mailcanary_last_run_timestamp_seconds", "When the scenario last ran.");
  e.family("mailcanary_last_success_timestamp_seconds", "When the scenario last succeeded.");
  e.family("mailcanary_late_probes", "Probes of earlier runs found late in this run.");
  e.family("mailcanary_lost_probes", "Probes of earlier runs given up on in this run.");
  e.family("mailcanary_pending_probes", "Probes of earlier runs still looked for.");
  e.family("mailcanary_auth_result_info",
           "1 for each SPF, DKIM, DMARC and ARC verdict the trusted host gave the probe.");
  e.family("mailcanary_spam_score", "A spam scanner's score of the probe, as it wrote it.");
  e.family("mailcanary_hop_delay_seconds",
           "Time from the hop before to each hop of the probe, from its Received: dates (whole "
           "seconds; the first hop from the Date:).");
  e.family("mailcanary_placement_info",
           "1 for where the probe landed: inbox (the watched mailbox), junk or missing.");
  e.family("mailcanary_dnsbl_listed",
           "1 if a block list lists the address (or domain), 0 if it answered not listed; no "
           "series where it gave no usable answer.");
  e.family("mailcanary_http_status", "The HTTP status of each http.get that got a response.");

  std::map<std::string, double> last_success(ctx.last_success.begin(), ctx.last_success.end());
  for (const auto& sc : run.scenarios) {
    const Labels s = {{"scenario", sc.name}};
    e.add("mailcanary_success", s, scenario_succeeded(sc) ? 1 : 0);
    e.add("mailcanary_duration_seconds", s, sc.duration_s);
    if (sc.delivery_s) e.add("mailcanary_delivery_seconds", s, *sc.delivery_s);
    e.add("mailcanary_last_run_timestamp_seconds", s, unix_seconds(sc.started_at));
    if (auto it = last_success.find(sc.name); it != last_success.end())
      e.add("mailcanary_last_success_timestamp_seconds", s, it->second);
    e.add("mailcanary_late_probes", s, static_cast<double>(sc.late.size()));
    e.add("mailcanary_lost_probes", s, static_cast<double>(sc.lost.size()));
    e.add("mailcanary_pending_probes", s, sc.pending);
    for (const auto& a : sc.auth_results) {
      Labels al = s;
      al.emplace_back("method", a.method);
      al.emplace_back("result", a.result);
      e.add("mailcanary_auth_result_info", al, 1);
    }
    for (const auto& sp : sc.spam_scores) {
      Labels sl = s;
      sl.emplace_back("source", sp.source);
      e.add("mailcanary_spam_score", sl, sp.score);
    }
    // Only the actual placement, as an info metric: each run replaces the series it pushed.
    if (sc.placement)
      e.add("mailcanary_placement_info",
            {{"scenario", sc.name}, {"placement", std::string(to_string(*sc.placement))}}, 1);
    for (const auto& hp : sc.hops)
      if (hp.delay_s)
        e.add("mailcanary_hop_delay_seconds", {{"scenario", sc.name}, {"hop", hp.hop}},
              *hp.delay_s);
    add_dnsbl(e, sc);

    const auto labels = step_labels(sc);
    bool failure_reported = false;
    for (std::size_t i = 0; i < sc.steps.size(); ++i) {
      const StepResult& st = sc.steps[i];
      if (st.status == "skipped") continue;
      const Labels ss = {{"scenario", sc.name}, {"step", labels[i]}};
      e.add("mailcanary_step_duration_seconds", ss, st.duration_s);
      if (const Detail* d = st.detail("http_status"); d != nullptr && d->value.is_number())
        e.add("mailcanary_http_status", ss, d->value.get<double>());
      std::vector<std::pair<std::string, double>> phases;  // in order of first appearance
      for (const auto& p : st.phases) {
        auto it = std::find_if(phases.begin(), phases.end(),
                               [&](const auto& q) { return q.first == p.name; });
        if (it == phases.end())
          phases.emplace_back(p.name, p.duration_s);
        else
          it->second += p.duration_s;
      }
      for (const auto& [phase, d] : phases)
        e.add("mailcanary_phase_duration_seconds",
              {{"scenario", sc.name}, {"step", labels[i]}, {"phase", phase}}, d);
      if (st.tls) {
        e.add("mailcanary_tls_info",
              {{"scenario", sc.name},
               {"step", labels[i]},
               {"version", st.tls->version},
               {"cipher", st.tls->cipher}},
              1);
        std::optional<double> expiry;
        if (st.tls->chain_not_after)
          expiry = unix_seconds(*st.tls->chain_not_after);
        else if (st.tls->cert_not_after)
          expiry = unix_seconds(*st.tls->cert_not_after);
        if (expiry) e.add("mailcanary_tls_cert_expiry_timestamp_seconds", ss, std::round(*expiry));
        for (const auto& [name, limit] :
             {std::pair{"warn", st.tls->expiry_warn_s}, std::pair{"crit", st.tls->expiry_crit_s}})
          if (limit)
            e.add("mailcanary_tls_cert_expiry_threshold_seconds",
                  {{"scenario", sc.name}, {"step", labels[i]}, {"threshold", name}}, *limit);
      }
      if (sc.failure && st.status == "failed") {
        failure_reported = true;
        e.add("mailcanary_failure_info",
              {{"scenario", sc.name},
               {"step", labels[i]},
               {"phase", sc.failure->failure.phase},
               {"reason", std::string(to_string(sc.failure->failure.reason))}},
              1);
      }
    }
    // A failure no step owns (an internal error) is still one series, so alerts see it.
    if (sc.failure && !failure_reported)
      e.add("mailcanary_failure_info",
            {{"scenario", sc.name},
             {"step", sc.failure->step},
             {"phase", sc.failure->failure.phase},
             {"reason", std::string(to_string(sc.failure->failure.reason))}},
            1);
  }
  return e.text();
}

}  // namespace mc
