#include "scenarios/steps/wait_expect.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <vector>

#include "protocols/mime/auth_results.hpp"
#include "protocols/mime/headers.hpp"
#include "protocols/mime/spam_score.hpp"
#include "scenarios/steps/servers.hpp"

namespace mc::scn {
namespace {

// The results each method can have (RFC 8601 section 2.7, RFC 7489 for DMARC, RFC 8617 for
// ARC), in the order messages list them; "missing" (no verdict of the trusted host) is not one.
struct MethodResults {
  std::string method;
  std::vector<std::string> results;
};
const std::vector<MethodResults>& methods() {
  static const std::vector<MethodResults> m = {
      {"spf", {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"}},
      {"dkim", {"pass", "fail", "policy", "neutral", "none", "temperror", "permerror"}},
      {"dmarc", {"pass", "fail", "none", "temperror", "permerror"}},
      {"arc", {"pass", "fail", "none"}},
  };
  return m;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string joined(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// "expect": { "dkim": "pass" } for one method.
void load_verdict(StepInput& in, const std::string& method, WaitExpect& out) {
  auto v = in.string(method);
  if (!v) return;
  const std::string r = lower(*v);
  const auto m = std::find_if(methods().begin(), methods().end(),
                              [&](const MethodResults& x) { return x.method == method; });
  const auto& results = m->results;
  if (r == "missing" || std::find(results.begin(), results.end(), r) != results.end()) {
    out.verdicts[method] = r;
    return;
  }
  in.problem(in.where() + "." + method,
             "\"" + printable(*v) + "\" is not " + (method[0] == 'a' ? "an " : "a ") + method +
                 " result: give one of " + joined(results) + ", or \"missing\" (no " + method +
                 " verdict of the trusted host at all)");
}

// "expect": { "bounce": true }: the probe must come back as a delivery report.
void load_bounce(StepInput& in, const std::string& key, WaitExpect& out) {
  if (auto v = in.boolean(key)) out.bounce = *v;
}

// The keys of "expect", each with its reader: a new key is one line here.
struct ExpectKey {
  const char* name;
  void (*load)(StepInput& in, const std::string& key, WaitExpect& out);
};
const ExpectKey kExpectKeys[] = {
    {"spf", load_verdict}, {"dkim", load_verdict},  {"dmarc", load_verdict},
    {"arc", load_verdict}, {"bounce", load_bounce},
};

// The scanners spam_scores() knows, by the names results give them.
const std::vector<std::string> kSpamSources = {"rspamd", "spamassassin", "microsoft_scl"};

std::string number_text(double v, const char* format = "%g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// warn and crit of one "spam" object; false when it gives neither.
bool load_limits(StepInput& in, SpamLimits& out) {
  if (!in.has("warn") && !in.has("crit")) return false;
  out.warn = in.number("warn");
  out.crit = in.number("crit");
  if (out.warn && out.crit && *out.warn > *out.crit)
    in.problem(in.where() + ".warn", "warn " + number_text(*out.warn) + " is above crit " +
                                         number_text(*out.crit) +
                                         "; warn is the lower limit: lower warn or raise crit");
  return true;
}

void load_spam(StepInput& in, WaitExpect& out) {
  std::vector<std::string> known = {"warn", "crit"};
  known.insert(known.end(), kSpamSources.begin(), kSpamSources.end());
  auto spam = in.object("spam", known);
  if (!spam) return;
  bool any = load_limits(*spam, out.spam);
  for (const auto& source : kSpamSources) {
    if (!spam->has(source)) continue;
    any = true;  // even when broken: its own problem says what is wrong
    auto own = spam->object(source, {"warn", "crit"});
    if (!own) continue;
    SpamLimits limits;
    if (!load_limits(*own, limits))
      own->problem(own->where(), "sets no limit: give warn, crit or both, like {\"warn\": 5}");
    out.spam_by_source[source] = limits;
  }
  if (!any)
    spam->problem(spam->where(),
                  "sets no limit: give warn and/or crit for every scanner ({\"warn\": 5, "
                  "\"crit\": 10}) or per scanner (" +
                      joined(kSpamSources) + ")");
}

// Authserv-ids of the fields that were not trusted, for the message of a failed expectation:
// a wrong authserv_id is the likeliest cause of a "missing" verdict. The text is the sender's
// or a relay's, so it is kept short and printable.
std::string ignored_hosts(const std::vector<proto::mime::AuthResults>& fields,
                          const std::string& trusted) {
  std::vector<std::string> ids;
  for (const auto& f : fields) {
    if (proto::mime::iequals(f.authserv_id, trusted)) continue;
    std::string id =
        f.authserv_id.empty() ? "(none named)" : printable(f.authserv_id.substr(0, 64));
    if (std::find(ids.begin(), ids.end(), id) == ids.end() && ids.size() < 3) ids.push_back(id);
  }
  return joined(ids);
}

}  // namespace

void load_wait_expect(StepInput& in, WaitExpect& out) {
  std::vector<std::string> known;
  for (const auto& k : kExpectKeys) known.emplace_back(k.name);
  if (auto expect = in.object("expect", known))
    for (const auto& k : kExpectKeys)
      if (expect->has(k.name)) k.load(*expect, k.name, out);
  load_spam(in, out);
  if (out.bounce &&
      (!out.verdicts.empty() || !out.spam_by_source.empty() || out.spam.warn || out.spam.crit))
    in.problem(in.where() + ".expect.bounce",
               "expects a bounce, and also verdicts or spam limits for a delivered probe: a probe "
               "that bounces is never delivered; drop one or the other");
}

std::optional<Failure> check_probe_header(const std::string& headers,
                                          const std::string& authserv_id, const WaitExpect& expect,
                                          ScenarioResult& scenario, StepResult& out) {
  const std::string& id = authserv_id;
  const std::string whose = id.empty() ? "fields naming no host" : id;
  std::vector<proto::mime::AuthResults> fields;
  int ignored = 0;
  for (const auto& v : proto::mime::header_fields(headers, "Authentication-Results")) {
    auto f = proto::mime::parse_auth_results(v);
    if (!f) continue;
    if (!proto::mime::iequals(f->authserv_id, id)) ++ignored;
    fields.push_back(std::move(*f));
  }

  // The verdicts of the trusted host.
  nlohmann::json verdicts = {{"authserv_id", id}, {"ignored", ignored}};
  std::map<std::string, std::string> actual;
  std::string text = "auth";
  for (const auto& m : methods()) {
    std::string r = proto::mime::trusted_verdict(fields, id, m.method);
    if (r.empty()) r = "missing";
    verdicts[m.method] = r;
    actual[m.method] = r;
    text += " " + m.method + "=" + r;
    scenario.auth_results.push_back({m.method, r});
  }
  text += " (" + whose +
          (ignored > 0 ? "; " + std::to_string(ignored) + " of other hosts ignored" : "") + ")";
  out.add_detail("auth_results", std::move(verdicts), text);

  // The spam scores, against the file's limits.
  nlohmann::json scores = nlohmann::json::array();
  std::string lines;
  std::vector<std::string> notes;
  Status level = Status::ok;
  for (const auto& sc : proto::mime::spam_scores(headers)) {
    nlohmann::json j = {{"source", sc.source}, {"score", sc.score}};
    lines +=
        (lines.empty() ? "spam score " : ", ") + sc.source + " " + number_text(sc.score, "%.2f");
    if (sc.threshold) {
      j["threshold"] = *sc.threshold;
      lines += " of " + number_text(*sc.threshold, "%.2f");
    }
    const auto own = expect.spam_by_source.find(sc.source);
    const SpamLimits& limits = own != expect.spam_by_source.end() ? own->second : expect.spam;
    if (limits.warn) j["warn"] = *limits.warn;
    if (limits.crit) j["crit"] = *limits.crit;
    const char* over = nullptr;
    if (limits.crit && sc.score > *limits.crit) {
      over = "crit";
      level = Status::critical;
    } else if (limits.warn && sc.score > *limits.warn) {
      over = "warn";
      level = worst(level, Status::warning);
    }
    if (over != nullptr) {
      const double limit = *(over == std::string("crit") ? limits.crit : limits.warn);
      j["over"] = over;
      lines += std::string(" (over ") + over + " " + number_text(limit) + ")";
      notes.push_back("spam score " + sc.source + " " + number_text(sc.score, "%.2f") + " > " +
                      over + " " + number_text(limit));
    }
    scores.push_back(std::move(j));
    scenario.spam_scores.push_back({sc.source, sc.score, sc.threshold});
  }
  if (!scores.empty()) out.add_detail("spam_scores", std::move(scores), lines);
  if (level != Status::ok) {
    // As a time threshold does: the step's status, the scenario's, and the reason in one line.
    if (level == Status::critical)
      out.status = "critical";
    else if (out.status == "ok")
      out.status = "warning";
    scenario.status = worst(scenario.status, level);
    const std::string note = joined(notes, "; ");
    out.note = out.note ? *out.note + "; " + note : note;
  }

  // The verdicts the file expects: any other fails the step.
  std::vector<std::string> wrong;
  std::vector<std::string> right;
  for (const auto& m : methods()) {
    const auto want = expect.verdicts.find(m.method);
    if (want == expect.verdicts.end()) continue;
    const std::string& got = actual[m.method];
    if (got == want->second)
      right.push_back(m.method + " " + got + " as expected");
    else
      wrong.push_back(m.method + " is " + got + ", expected " + want->second);
  }
  if (wrong.empty()) return std::nullopt;
  std::string message = "Authentication-Results of " + whose + ": " + joined(wrong, "; ");
  if (!right.empty()) message += " (" + joined(right, ", ") + ")";
  if (ignored > 0)
    message += "; fields of other hosts ignored: " + ignored_hosts(fields, id) +
               " (authserv_id names the host whose verdicts count)";
  return Failure{Reason::auth_results, "fetch", message, std::nullopt};
}

}  // namespace mc::scn
