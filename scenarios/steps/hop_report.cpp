#include "scenarios/steps/hop_report.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "protocols/mime/received.hpp"
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/servers.hpp"
#include "scenarios/steps/step.hpp"

namespace mc::scn {
namespace {

constexpr std::size_t kMaxName = 64;

// Names go into metric labels and Nagios perfdata: letters, digits, '.', '_' and '-' only.
bool name_chars(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// Dates a system_clock can hold (its nanoseconds end in 2262): later or earlier ones are shown
// as no date, though their delay still counts.
std::optional<Wall::time_point> wall(std::optional<std::int64_t> secs) {
  constexpr std::int64_t kLast = 7'258'118'400;  // 2200-01-01
  if (!secs || *secs < 0 || *secs >= kLast) return std::nullopt;
  return Wall::from_time_t(static_cast<std::time_t>(*secs));
}

nlohmann::json text_or_null(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

std::string hop_text(const std::string& label, const proto::mime::Hop& h) {
  const auto& r = h.received;
  std::string t = label;
  if (!r.by.empty()) t += " by " + r.by;
  if (!r.with.empty()) t += " with " + r.with;
  if (r.tls.value_or(false)) t += " (" + (r.tls_version.empty() ? "TLS" : r.tls_version) + ")";
  if (h.delay_s)
    t += " after " + std::to_string(*h.delay_s) + " s" + (h.skew ? " (clock skew)" : "");
  else if (!r.at)
    t += " (no date)";
  return t;
}

}  // namespace

std::vector<std::string> load_hop_names(StepInput& in) {
  std::vector<std::string> names;
  const auto given = in.strings("hops");
  if (!given) return names;
  const bool listed = in.is_list("hops");
  std::set<std::string> seen;
  bool ok = true;
  for (std::size_t i = 0; i < given->size(); ++i) {
    const std::string& n = (*given)[i];
    const std::string at = in.where() + ".hops" + (listed ? "[" + std::to_string(i) + "]" : "");
    auto bad = [&](const std::string& why) {
      in.problem(at, "\"" + printable(n) + "\" " + why);
      ok = false;
    };
    if (n.empty() || n.size() > kMaxName || !name_chars(n))
      bad("is not a hop name: use 1 to 64 letters, digits, '.', '_' or '-', like \"mx\"");
    else if (std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
      bad("is a number, which labels a hop the file does not name: give it a name like \"mx\"");
    else if (!seen.insert(n).second)
      bad("names two hops: give each hop a name of its own");
  }
  if (given->size() > proto::mime::kMaxHops) {
    in.problem(in.where() + ".hops", "names " + std::to_string(given->size()) + " hops; at most " +
                                         std::to_string(proto::mime::kMaxHops) + " are read");
    ok = false;
  }
  if (ok) names = *given;
  return names;
}

void report_hops(StepContext& ctx, const std::string& headers,
                 const std::vector<std::string>& names, StepResult& out) {
  const auto read = proto::mime::received_hops(headers);
  const bool named = !names.empty() && names.size() == read.hops.size();
  if (!names.empty() && !named)
    ctx.warnings.push_back("scenario " + ctx.scenario.name + ": " + ctx.current().kind +
                           ": the probe passed " + std::to_string(read.hops.size()) +
                           " hops, \"hops\" names " + std::to_string(names.size()) +
                           "; its hops are labelled by number until the names match the path");
  nlohmann::json list = nlohmann::json::array();
  std::string text;
  ctx.result.hops.clear();  // the last imap.wait that finds the probe tells its path
  for (std::size_t i = 0; i < read.hops.size(); ++i) {
    const auto& h = read.hops[i];
    const auto& r = h.received;
    const std::string label = named ? names[i] : std::to_string(i + 1);
    const auto at = wall(r.at);
    std::optional<double> delay;
    if (h.delay_s) delay = static_cast<double>(*h.delay_s);
    list.push_back({{"hop", label},
                    {"from", text_or_null(r.from)},
                    {"by", text_or_null(r.by)},
                    {"via", text_or_null(r.via)},
                    {"with", text_or_null(r.with)},
                    {"id", text_or_null(r.id)},
                    {"at", at ? nlohmann::json(iso8601(*at)) : nlohmann::json(nullptr)},
                    {"delay_s", h.delay_s ? nlohmann::json(*h.delay_s) : nlohmann::json(nullptr)},
                    {"skew", h.skew},
                    {"tls", r.tls ? nlohmann::json(*r.tls) : nlohmann::json(nullptr)},
                    {"tls_version", text_or_null(r.tls_version)},
                    {"tls_cipher", text_or_null(r.tls_cipher)}});
    text += (text.empty() ? "" : "; ") + hop_text(label, h);
    ctx.result.hops.push_back({label, r.by, r.with, at, delay, h.skew});
  }
  if (text.empty()) text = "none";
  if (read.unparsed > 0)
    text += " (" + std::to_string(read.unparsed) + " Received field" +
            (read.unparsed == 1 ? "" : "s") + " not read)";
  out.add_detail("hops", std::move(list), "hops: " + text, true);
  out.add_detail("hops_unparsed", read.unparsed, "");
}

}  // namespace mc::scn
