// dnsbl.check: asks DNS block lists about addresses (the file's, the sending server's from the
// probe's Received: fields, or a domain's MX hosts') and domain lists about domains. Each answer
// is listed, clean or unknown; only a listing is ever reported as one.
#include <algorithm>

#include "protocols/dns/dnsbl.hpp"
#include "protocols/mime/received_from.hpp"
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/dnsbl_lookup.hpp"
#include "scenarios/steps/registry.hpp"
#include "scenarios/steps/servers.hpp"
#include "transport/dns.hpp"

namespace mc::scn {
namespace {

// Lists are shared services that limit their users; a step that asks more is a mistake.
constexpr std::size_t kMaxAddresses = 64;
constexpr std::size_t kMaxZones = 32;
constexpr std::size_t kMaxLookups = 512;

struct DnsblKeys : StepKeys {
  std::vector<std::string> addresses;  // canonical
  bool of_sender = false;
  std::string of_mx;  // the domain of "mx:DOMAIN"
  std::vector<std::string> zones;
  std::vector<std::string> domains;
  std::vector<std::string> domain_zones;
  bool listed_warn = false;
};

// Reads a list key, each entry checked by `normal` (nullopt: `fix` is the problem).
std::vector<std::string> read_list(
    StepInput& in, const std::string& key, std::size_t max,
    const std::function<std::optional<std::string>(const std::string&, std::string& why)>& normal) {
  std::vector<std::string> out;
  const auto given = in.strings(key);
  if (!given) return out;
  const bool listed = in.is_list(key);
  for (std::size_t i = 0; i < given->size(); ++i) {
    const std::string at = in.where() + "." + key + (listed ? "[" + std::to_string(i) + "]" : "");
    std::string why;
    if (auto v = normal((*given)[i], why)) {
      if (std::find(out.begin(), out.end(), *v) != out.end())
        in.problem(at, "\"" + printable((*given)[i]) + "\" is named twice; name it once");
      else
        out.push_back(*v);
    } else {
      in.problem(at, "\"" + printable((*given)[i]) + "\" " + why);
    }
  }
  if (given->size() > max)
    in.problem(in.where() + "." + key, "names " + std::to_string(given->size()) +
                                           " entries; at most " + std::to_string(max) +
                                           " are allowed: lists limit how often they are asked");
  return out;
}

std::optional<std::string> zone_name(const std::string& z, std::string& why) {
  auto n = proto::dns::normal_name(z);
  if (!n || proto::dns::canonical_address(z))
    why = "is not a DNS zone: give a list's zone name, like \"zen.spamhaus.org\"";
  else if (n->find('.') == std::string::npos)
    why = "is a single label, no list's zone: give the whole name, like \"zen.spamhaus.org\"";
  else
    return n;
  return std::nullopt;
}

class DnsblCheck final : public StepKind {
 public:
  std::string_view name() const override { return "dnsbl.check"; }

  const std::vector<KeySpec>& keys() const override {
    static const std::vector<KeySpec> k = {
        kStepKey,
        {"addresses", KeyType::strings, "", "lists the IPv4 and IPv6 addresses to look up"},
        {"of", KeyType::string, "",
         "is \"sender\" (the sending server's address from the probe's Received fields) or "
         "\"mx:DOMAIN\" (the addresses of the domain's MX hosts)"},
        {"zones", KeyType::strings, "",
         "lists the block lists (DNSBL zones) to ask about addresses"},
        {"domains", KeyType::strings, "", "lists the domains to look up in the domain lists"},
        {"domain_zones", KeyType::strings, "",
         "lists the domain lists (like dbl.spamhaus.org) to ask about the domains"},
        {"listed", KeyType::string, "crit",
         "is what a listing makes the step: \"crit\" (it fails as listed) or \"warn\""},
        kTimeoutKey,
        kWarnKey,
        kCritKey,
    };
    return k;
  }

  void load(StepInput& in, Step& s) const override {
    auto keys = std::make_shared<DnsblKeys>();
    keys->addresses =
        read_list(in, "addresses", kMaxAddresses, [](const std::string& a, std::string& why) {
          auto c = proto::dns::canonical_address(a);
          if (!c)
            why = "is not an IPv4 or IPv6 address: write it like \"192.0.2.7\" or \"2001:db8::7\"";
          return c;
        });
    keys->zones = read_list(in, "zones", kMaxZones, zone_name);
    keys->domain_zones = read_list(in, "domain_zones", kMaxZones, zone_name);
    keys->domains =
        read_list(in, "domains", kMaxAddresses, [](const std::string& d, std::string& why) {
          auto n = proto::dns::normal_name(d);
          if (proto::dns::canonical_address(d))
            why = "is an address: look it up with \"addresses\" and \"zones\"";
          else if (!n)
            why = "is not a domain name: write it like \"example.com\"";
          else
            return n;
          return std::optional<std::string>();
        });
    if (auto of = in.string("of")) {
      const std::string at = in.where() + ".of";
      if (*of == "sender") {
        keys->of_sender = true;
        const auto& before = in.earlier();
        const bool waits = std::any_of(before.begin(), before.end(), [&](const Step& e) {
          return e.type && e.type->probe_mailbox(in.file(), e).has_value();
        });
        if (!waits)
          in.problem(at,
                     "\"sender\" is read from the probe as a wait step found it, and no step "
                     "before this one waits for the probe: put an imap.wait before it");
      } else if (of->rfind("mx:", 0) == 0) {
        auto d = proto::dns::normal_name(of->substr(3));
        if (!d || proto::dns::canonical_address(of->substr(3)))
          in.problem(at, "\"" + printable(*of) +
                             "\" names no domain: write \"mx:\" and the domain, like "
                             "\"mx:example.com\"");
        else
          keys->of_mx = *d;
      } else {
        in.problem(at, "\"" + printable(*of) +
                           "\" is not a source of addresses: write \"sender\" or "
                           "\"mx:DOMAIN\", or list them in \"addresses\"");
      }
    }
    const bool of = in.has("of");
    if (of && in.has("addresses"))
      in.problem(in.where() + ".of",
                 "\"of\" and \"addresses\" both say which addresses to look up: keep one");
    if ((of || in.has("addresses")) && !in.has("zones"))
      in.problem(in.where(),
                 "addresses to look up need \"zones\", the block lists to ask, like "
                 "[\"zen.spamhaus.org\"]");
    if (in.has("zones") && !of && !in.has("addresses"))
      in.problem(in.where() + ".zones",
                 "\"zones\" needs addresses to look up: give \"addresses\" or \"of\"");
    if (in.has("domains") != in.has("domain_zones"))
      in.problem(in.where(), in.has("domains")
                                 ? "\"domains\" needs \"domain_zones\", the domain lists to ask, "
                                   "like [\"dbl.spamhaus.org\"]"
                                 : "\"domain_zones\" needs \"domains\" to look up");
    if (!of && !in.has("addresses") && !in.has("domains") && !in.has("zones") &&
        !in.has("domain_zones"))
      in.problem(in.where(),
                 "dnsbl.check needs something to look up: \"addresses\" (or \"of\") "
                 "with \"zones\", and/or \"domains\" with \"domain_zones\"");
    const std::size_t lookups =
        std::max<std::size_t>(keys->addresses.size(), of ? 1 : 0) * keys->zones.size() +
        keys->domains.size() * keys->domain_zones.size();
    if (lookups > kMaxLookups)
      in.problem(in.where(), std::to_string(lookups) + " lookups are more than " +
                                 std::to_string(kMaxLookups) +
                                 " in one step: split the step or name fewer lists");
    if (auto l = in.string("listed")) {
      if (*l == "warn")
        keys->listed_warn = true;
      else if (*l != "crit")
        in.problem(in.where() + ".listed",
                   "\"" + printable(*l) + "\" is not a policy: write \"crit\" or \"warn\"");
    }
    s.keys = std::move(keys);
  }

  boost::asio::awaitable<std::optional<Failure>> run(StepContext& ctx,
                                                     StepResult& out) const override {
    const auto& keys = ctx.current().as<DnsblKeys>();
    const DnsSettings settings = dns_settings(ctx.file);
    const DnsQuery query = [settings](std::string name, proto::dns::Type type,
                                      Mono::time_point deadline) {
      return dns_query(settings, std::move(name), type, deadline);
    };
    std::vector<DnsblTarget> targets;
    std::vector<std::string> problems;
    for (const auto& a : keys.addresses) targets.push_back({a, false, true, ""});
    if (keys.of_sender) {
      if (ctx.shared.probe_headers.empty())
        problems.push_back("the sender: no wait step found the probe's header");
      else if (auto a = proto::mime::sending_address(ctx.shared.probe_headers)) {
        targets.push_back({*a, false, false, "sender"});
        out.add_detail("sender", *a, "sending server " + *a);
      } else
        problems.push_back("the sender: no public address in the probe's Received fields");
    }
    if (!keys.of_mx.empty()) {
      const auto begin = ctx.clock.now();
      auto mx = co_await mx_targets(keys.of_mx, query, ctx.deadline);
      out.phases.push_back(
          {"resolve", ctx.timeline.offset_s(begin), Stopwatch::seconds(ctx.clock.now() - begin)});
      for (auto& t : mx.targets) targets.push_back(std::move(t));
      for (auto& p : mx.problems) problems.push_back(std::move(p));
    }
    for (const auto& d : keys.domains) targets.push_back({d, true, true, ""});
    const auto begin = ctx.clock.now();
    const auto answers =
        co_await look_up(targets, keys.zones, keys.domain_zones, query, ctx.deadline);
    out.phases.push_back(
        {"query", ctx.timeline.offset_s(begin), Stopwatch::seconds(ctx.clock.now() - begin)});
    co_return report_dnsbl(answers, problems, keys.listed_warn, out, ctx.result);
  }
};

}  // namespace

const StepKind& dnsbl_check_kind() {
  static const DnsblCheck kind;
  return kind;
}

}  // namespace mc::scn
