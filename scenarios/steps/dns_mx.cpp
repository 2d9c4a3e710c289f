// dns.mx: the MX set of a domain, as senders find it, with an optional expectation of its size
// or of hosts that must be in it.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "protocols/dns/answer.hpp"
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/mx_route.hpp"
#include "scenarios/steps/registry.hpp"
#include "scenarios/steps/servers.hpp"
#include "transport/dns.hpp"

namespace mc::scn {
namespace {

// The most MX records a domain is expected to have: far above any real one.
constexpr std::uint32_t kMaxMin = 100;

struct MxKeys : StepKeys {
  std::string domain;
  std::uint32_t min = 1;
  std::vector<std::string> hosts;  // each must be one of the MX hosts
};

class DnsMx final : public StepKind {
 public:
  std::string_view name() const override { return "dns.mx"; }

  const std::vector<KeySpec>& keys() const override {
    static const std::vector<KeySpec> k = {
        kStepKey,
        {"domain", KeyType::string, "", "is the domain whose MX records are looked up"},
        {"expect", KeyType::object, "{\"min\": 1}",
         "is what the MX set must hold: \"min\" records at least, and every host of \"hosts\""},
        kTimeoutKey,
        kWarnKey,
        kCritKey,
    };
    return k;
  }

  void load(StepInput& in, Step& s) const override {
    auto keys = std::make_shared<MxKeys>();
    if (auto d = in.string("domain")) {
      if (!valid_domain_name(*d))
        in.problem(in.where() + ".domain", "\"" + printable(*d) +
                                               "\" is not a domain name; give one like "
                                               "\"example.net\"");
      else
        keys->domain = host_key(*d);
    } else if (!in.has("domain")) {
      in.problem(in.where(), "dns.mx needs a \"domain\", like \"example.net\"");
    }
    if (auto expect = in.object("expect", {"min", "hosts"})) {
      if (auto n = expect->count("min", kMaxMin)) {
        if (*n == 0)
          expect->problem(expect->where() + ".min",
                          "0 would accept a domain without MX; give 1 or more, or leave "
                          "\"expect\" out");
        else
          keys->min = *n;
      }
      if (auto hosts = expect->strings("hosts")) {
        for (std::size_t i = 0; i < hosts->size(); ++i) {
          if (valid_domain_name((*hosts)[i])) {
            keys->hosts.push_back(host_key((*hosts)[i]));
            continue;
          }
          expect->problem(expect->where() + ".hosts" +
                              (expect->is_list("hosts") ? "[" + std::to_string(i) + "]" : ""),
                          "\"" + printable((*hosts)[i]) + "\" is not a host name; give one like " +
                              "\"mx1.example.net\"");
        }
      }
    }
    s.keys = std::move(keys);
  }

  boost::asio::awaitable<std::optional<Failure>> run(StepContext& ctx,
                                                     StepResult& out) const override {
    const auto& keys = ctx.current().as<MxKeys>();
    const auto begin = ctx.clock.now();
    const auto answer =
        co_await dns_query(dns_settings(ctx.file), keys.domain, proto::dns::Type::mx, ctx.deadline);
    const auto end = ctx.clock.now();
    out.phases.push_back(
        {"resolve", ctx.timeline.offset_s(begin), Stopwatch::seconds(end - begin)});
    if (auto f = mx_lookup_failure(keys.domain, answer, end >= ctx.deadline, false)) co_return f;

    auto mx = answer.mx;
    std::stable_sort(mx.begin(), mx.end(),
                     [](const auto& a, const auto& b) { return a.preference < b.preference; });
    nlohmann::json list = nlohmann::json::array();
    std::string text;
    for (const auto& r : mx) {
      list.push_back({{"preference", r.preference}, {"host", r.host}});
      text += (text.empty() ? "" : ", ") + std::to_string(r.preference) + " " + r.host;
    }
    out.add_detail("mx", list, "MX " + text, /*summary=*/true);

    if (mx.size() < keys.min)
      co_return Failure{Reason::dns, "resolve",
                        keys.domain + " has " + std::to_string(mx.size()) + " MX record" +
                            (mx.size() == 1 ? "" : "s") + ", fewer than the " +
                            std::to_string(keys.min) + " expected (" + text + ")",
                        std::nullopt};
    for (const auto& want : keys.hosts) {
      const bool found = std::any_of(mx.begin(), mx.end(),
                                     [&](const auto& r) { return host_key(r.host) == want; });
      if (!found)
        co_return Failure{Reason::dns, "resolve",
                          want + " is not an MX host of " + keys.domain + " (" + text + ")",
                          std::nullopt};
    }
    co_return std::nullopt;
  }
};

}  // namespace

const StepKind& dns_mx_kind() {
  static const DnsMx kind;
  return kind;
}

}  // namespace mc::scn
