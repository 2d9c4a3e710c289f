#include <string>

#include "scenarios/steps/dnsbl_lookup.hpp"

namespace mc::scn {
namespace {

using proto::dns::Verdict;

// "192.0.2.7 (sender)", "example.test": what was asked about, for people.
std::string subject(const DnsblTarget& t) {
  return t.source.empty() ? t.name : t.name + " (" + t.source + ")";
}

std::string codes_text(const std::vector<std::string>& codes) {
  std::string s;
  for (const auto& c : codes) s += (s.empty() ? "" : ", ") + c;
  return s;
}

std::string answer_text(const DnsblAnswer& a) {
  std::string t =
      subject(a.target) + " in " + a.zone + ": " + std::string(to_string(a.classified.verdict));
  if (a.classified.verdict == Verdict::listed) {
    t += " (" + codes_text(a.classified.codes);
    if (!a.reason.empty()) t += " \"" + a.reason + "\"";
    t += ")";
  } else if (a.classified.verdict == Verdict::unknown) {
    t += " (" + a.classified.why + ")";
  }
  return t;
}

// The first of `items` and how many more: one line however many there are.
std::string first_and_more(const std::vector<std::string>& items) {
  if (items.empty()) return {};
  std::string s = items.front();
  if (items.size() > 1) s += " and " + std::to_string(items.size() - 1) + " more";
  return s;
}

nlohmann::json text_or_null(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

}  // namespace

std::optional<Failure> report_dnsbl(const std::vector<DnsblAnswer>& answers,
                                    const std::vector<std::string>& problems, bool listed_warn,
                                    StepResult& out, ScenarioResult& scenario) {
  nlohmann::json list = nlohmann::json::array();
  std::string text;
  std::vector<std::string> listed;
  std::vector<std::string> unknown;
  int clean = 0;
  for (const auto& a : answers) {
    const auto& c = a.classified;
    list.push_back({{a.target.domain ? "domain" : "address", a.target.name},
                    {"source", text_or_null(a.target.source)},
                    {"zone", a.zone},
                    {"query", text_or_null(a.query)},
                    {"verdict", std::string(to_string(c.verdict))},
                    {"codes", c.codes},
                    {"reason", text_or_null(a.reason)},
                    {"why", text_or_null(c.why)}});
    text += (text.empty() ? "" : "; ") + answer_text(a);
    if (c.verdict == Verdict::listed) listed.push_back(answer_text(a));
    if (c.verdict == Verdict::unknown) unknown.push_back(answer_text(a));
    if (c.verdict == Verdict::clean) ++clean;
    DnsblResult r;
    r.zone = a.zone;
    if (a.target.labelled) (a.target.domain ? r.domain : r.address) = a.target.name;
    r.verdict = std::string(to_string(c.verdict));
    scenario.dnsbl.push_back(std::move(r));
  }
  out.add_detail("dnsbl", std::move(list), "block lists: " + (text.empty() ? "none asked" : text));
  out.add_detail(
      "dnsbl_counts", {{"listed", listed.size()}, {"clean", clean}, {"unknown", unknown.size()}},
      "block lists: " + std::to_string(listed.size()) + " listed, " + std::to_string(clean) +
          " clean, " + std::to_string(unknown.size()) + " unknown",
      true);
  if (!problems.empty()) {
    std::string p;
    for (const auto& s : problems) p += (p.empty() ? "" : "; ") + s;
    out.add_detail("dnsbl_problems", problems, "not looked up: " + p);
  }

  std::vector<std::string> notes;
  std::optional<Failure> failure;
  if (!listed.empty()) {
    const std::string what = first_and_more(listed);
    if (listed_warn)
      notes.push_back("listed: " + what);
    else
      failure = Failure{Reason::listed, "query", what, std::nullopt};
  }
  if (!unknown.empty()) notes.push_back("unknown: " + first_and_more(unknown));
  if (!problems.empty()) notes.push_back("not looked up: " + first_and_more(problems));
  if (answers.empty() && problems.empty()) notes.push_back("nothing to look up");
  if (!notes.empty()) {
    std::string note;
    for (const auto& n : notes) note += (note.empty() ? "" : "; ") + n;
    out.note = out.note ? *out.note + "; " + note : note;
    if (!failure) {
      if (out.status == "ok") out.status = "warning";
      scenario.status = worst(scenario.status, Status::warning);
    }
  }
  return failure;
}

}  // namespace mc::scn
