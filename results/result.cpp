#include "results/result.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace mc {

std::string_view to_string(Status s) {
  return name_of(kStatusNames, s);
}

std::string_view to_string(Placement p) {
  return name_of(kPlacementNames, p);
}

int exit_code(Status s) {
  return static_cast<int>(s);
}

// Severity, not exit code order: once probes were sent, a real CRITICAL in one scenario must not
// be hidden behind an internal error (UNKNOWN) in another, as monitoring systems page on it.
Status worst(Status a, Status b) {
  auto rank = [](Status s) {
    switch (s) {
      case Status::ok:
        return 0;
      case Status::warning:
        return 1;
      case Status::unknown:
        return 2;
      case Status::critical:
        return 3;
    }
    return 3;
  };
  return rank(a) >= rank(b) ? a : b;
}

const Detail* StepResult::detail(std::string_view key) const {
  for (const auto& d : details)
    if (d.key == key) return &d;
  return nullptr;
}

void StepResult::add_detail(std::string key, nlohmann::json value, std::string text, bool summary) {
  details.push_back({std::move(key), std::move(value), std::move(text), summary});
}

namespace {

using nlohmann::json;

// Durations are rounded to microseconds: finer digits are noise and make documents hard to read.
double round_us(double s) {
  return static_cast<double>(static_cast<long long>(s * 1e6 + 0.5)) / 1e6;
}

json reply_json(const ServerReply& r) {
  json j = {{"text", r.text}};
  j["code"] = r.code != 0 ? json(r.code) : json(nullptr);
  j["enhanced"] = r.enhanced.empty() ? json(nullptr) : json(r.enhanced);
  if (!r.status.empty()) j["status"] = r.status;
  return j;
}

json transcript_json(const std::vector<TranscriptLine>& lines) {
  json out = json::array();
  for (const auto& l : lines) {
    out.push_back(mark(l.dir) + l.text);
  }
  return out;
}

json step_json(const StepResult& s) {
  json j = {{"step", s.step},
            {"status", s.status},
            {"start_s", round_us(s.start_s)},
            {"duration_s", round_us(s.duration_s)}};
  if (!s.server.empty()) j["server"] = s.server;
  if (!s.address.empty()) j["address"] = s.address;
  json phases = json::array();
  for (const auto& p : s.phases)
    phases.push_back({{"phase", p.name},
                      {"start_s", round_us(p.start_s)},
                      {"duration_s", round_us(p.duration_s)}});
  j["phases"] = std::move(phases);
  if (s.tls) {
    json t = {
        {"version", s.tls->version}, {"cipher", s.tls->cipher}, {"verified", s.tls->verified}};
    t["cert_not_after"] =
        s.tls->cert_not_after ? json(iso8601(*s.tls->cert_not_after)) : json(nullptr);
    t["chain_expiry_s"] = s.tls->chain_expiry_s
                              ? json(static_cast<long long>(*s.tls->chain_expiry_s))
                              : json(nullptr);
    if (!s.tls->fingerprint_sha256.empty()) t["fingerprint_sha256"] = s.tls->fingerprint_sha256;
    if (!s.tls->expiry_subject.empty()) {
      t["expiry_subject"] = s.tls->expiry_subject;
      t["expiry_depth"] = s.tls->expiry_depth;
    }
    if (s.tls->expiry_left_s)
      t["expiry_days_left"] = static_cast<long long>(std::floor(*s.tls->expiry_left_s / 86400));
    if (s.tls->expiry_warn_s) t["expiry_warn_s"] = *s.tls->expiry_warn_s;
    if (s.tls->expiry_crit_s) t["expiry_crit_s"] = *s.tls->expiry_crit_s;
    if (s.tls->expiry_threshold) t["expiry_threshold"] = *s.tls->expiry_threshold;
    j["tls"] = std::move(t);
  }
  if (s.threshold) j["threshold"] = *s.threshold;
  if (s.warn_s) j["warn_s"] = *s.warn_s;
  if (s.crit_s) j["crit_s"] = *s.crit_s;
  if (s.plaintext_auth) j["plaintext_auth"] = *s.plaintext_auth;
  for (const auto& d : s.details) j[d.key] = d.value;
  if (!s.transcript.empty()) j["transcript"] = transcript_json(s.transcript);
  return j;
}

json opt_time(const std::optional<Wall::time_point>& t) {
  return t ? json(iso8601(*t)) : json(nullptr);
}

json scenario_json(const ScenarioResult& sc) {
  json j = {{"name", sc.name},
            {"status", std::string(to_string(sc.status))},
            {"duration_s", round_us(sc.duration_s)},
            {"token", sc.token},
            {"started_at", iso8601(sc.started_at)},
            {"queued_at", opt_time(sc.queued_at)},
            {"seen_at", opt_time(sc.seen_at)}};
  j["delivery_s"] = sc.delivery_s ? json(round_us(*sc.delivery_s)) : json(nullptr);
  if (sc.placement) {
    j["placement"] = std::string(to_string(*sc.placement));
    if (!sc.placement_mailbox.empty()) j["placement_mailbox"] = sc.placement_mailbox;
  }
  if (sc.failure) {
    const auto& f = sc.failure->failure;
    json fj = {{"step", sc.failure->step},
               {"phase", f.phase},
               {"reason", std::string(to_string(f.reason))},
               {"message", f.message}};
    fj["reply"] = f.reply ? reply_json(*f.reply) : json(nullptr);
    j["failure"] = std::move(fj);
  } else {
    j["failure"] = nullptr;
  }
  json steps = json::array();
  for (const auto& s : sc.steps) steps.push_back(step_json(s));
  j["steps"] = std::move(steps);
  auto earlier = [](const std::vector<EarlierProbe>& probes) {
    json out = json::array();
    for (const auto& p : probes) {
      json e = {{"token", p.token}, {"queued_at", iso8601(p.queued_at)}};
      if (p.seen_at) e["seen_at"] = iso8601(*p.seen_at);
      if (p.delivered_at) e["delivered_at"] = iso8601(*p.delivered_at);
      if (p.delivery_s) {
        e["delivery_s"] = round_us(*p.delivery_s);
        e["delivery_precision_s"] = 1;  // from a Received: date, which has whole seconds
      }
      out.push_back(std::move(e));
    }
    return out;
  };
  j["late"] = earlier(sc.late);
  j["lost"] = earlier(sc.lost);
  j["pending"] = sc.pending;
  return j;
}

}  // namespace

std::string reply_text(const ServerReply& r) {
  std::string out;
  if (r.code != 0) {
    out = std::to_string(r.code);
    if (!r.enhanced.empty()) out += " " + r.enhanced;
  } else {
    out = r.status;
    if (!r.enhanced.empty()) out += (out.empty() ? "[" : " [") + r.enhanced + "]";
  }
  if (!r.text.empty()) out += (out.empty() ? "" : " ") + r.text;
  return out;
}

std::string failure_place(const ScenarioResult& sc, std::string_view separator) {
  if (!sc.failure) return {};
  std::string where = sc.failure->step;
  const std::string& phase = sc.failure->failure.phase;
  if (!phase.empty()) where += (where.empty() ? "" : std::string(separator)) + phase;
  return where;
}

namespace {

// "2 days", "1 day", "5 hours", "less than an hour": whole units, rounded down.
std::string left_text(double s) {
  auto count = [](long long n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
  };
  if (s >= 86400) return count(static_cast<long long>(s / 86400), "day");
  if (s >= 3600) return count(static_cast<long long>(s / 3600), "hour");
  return "less than an hour";
}

// A threshold as the file gave it: "7 days" for whole days, else "36h", "90m".
std::string threshold_text(double s) {
  const auto ms = static_cast<long long>(s * 1000 + 0.5);
  if (ms > 0 && ms % 86'400'000 == 0) {
    const long long days = ms / 86'400'000;
    return std::to_string(days) + (days == 1 ? " day" : " days");
  }
  return format_duration(std::chrono::milliseconds(ms));
}

}  // namespace

std::string tls_expiry_note(const StepResult& st) {
  if (!st.tls || !st.tls->expiry_threshold || !st.tls->expiry_left_s) return {};
  const TlsFacts& t = *st.tls;
  const bool crit = *t.expiry_threshold == "crit";
  const auto& limit = crit ? t.expiry_crit_s : t.expiry_warn_s;
  std::string out = "certificate";
  if (!t.expiry_subject.empty()) out += " " + t.expiry_subject;
  if (t.expiry_depth > 0) out += " (depth " + std::to_string(t.expiry_depth) + " in the chain)";
  if (!st.server.empty()) out += " of " + st.server;
  const double left = *t.expiry_left_s;
  out += left < 0 ? " expired " + left_text(-left) + " ago" : " expires in " + left_text(left);
  const auto& when = t.chain_not_after ? t.chain_not_after : t.cert_not_after;
  if (when) out += " (" + iso8601(*when) + ")";
  out += ", within the " + *t.expiry_threshold + " threshold";
  if (limit) out += " of " + threshold_text(*limit);
  return out;
}

std::string placement_text(const ScenarioResult& sc) {
  if (!sc.placement) return {};
  std::string out(to_string(*sc.placement));
  if (!sc.placement_mailbox.empty()) out += " (mailbox " + sc.placement_mailbox + ")";
  return out;
}

const StepResult* failed_step(const ScenarioResult& sc) {
  if (!sc.failure || sc.failure->step.empty()) return nullptr;
  const StepResult* found = nullptr;
  for (const auto& st : sc.steps) {
    if (st.step != sc.failure->step) continue;
    if (st.status == "failed") return &st;
    found = &st;
  }
  return found;
}

json to_json(const RunResult& run) {
  json j = {{"schema", "mailcanary.result/1"},
            {"version", run.version},
            {"vantage", run.vantage},
            {"started_at", iso8601(run.started_at)},
            {"duration_s", round_us(run.duration_s)},
            {"status", std::string(to_string(run.status))}};
  json scs = json::array();
  for (const auto& sc : run.scenarios) scs.push_back(scenario_json(sc));
  j["scenarios"] = std::move(scs);
  j["warnings"] = run.warnings;
  return j;
}

}  // namespace mc
