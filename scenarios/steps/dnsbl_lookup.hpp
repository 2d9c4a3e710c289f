// The queries of dnsbl.check: each address in each zone and each domain in each domain list,
// at once (a bounded number in flight), all within the step's deadline; and the addresses of a
// domain's MX hosts. The resolver is passed in, so unit tests answer from Answers.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "codec/time.hpp"
#include "protocols/dns/answer.hpp"
#include "protocols/dns/dnsbl.hpp"
#include "results/result.hpp"

namespace mc::scn {

using DnsQuery = std::function<boost::asio::awaitable<proto::dns::Answer>(
    std::string name, proto::dns::Type type, Mono::time_point deadline)>;

// What to look up: an address (in every zone) or a domain (in every domain zone).
struct DnsblTarget {
  std::string name;       // canonical address, or normal domain name
  bool domain = false;    // a domain, looked up in the domain zones
  bool labelled = false;  // the file names it: it may be a metric label
  std::string source;     // where it came from, for people: "", "sender", "MX mx1.example.test"
};

struct DnsblAnswer {
  DnsblTarget target;
  std::string zone;
  std::string query;  // the name asked
  proto::dns::Classified classified;
  std::string reason;  // the TXT record of a listing
};

// At most this many queries in flight: lists limit the query rate of a resolver.
inline constexpr std::size_t kMaxInFlight = 16;

// Every target in each of its zones, answers in the order target × zone. A listing's TXT record
// is asked for after its A record; a TXT query that fails leaves the reason empty.
boost::asio::awaitable<std::vector<DnsblAnswer>> look_up(
    const std::vector<DnsblTarget>& targets, const std::vector<std::string>& zones,
    const std::vector<std::string>& domain_zones, const DnsQuery& query, Mono::time_point deadline);

// The addresses of `domain`'s MX hosts (A and AAAA of each, asked at once), as targets; without
// MX records (NXDOMAIN or NODATA) the domain's own (RFC 5321 section 5.1). `why` says what went
// wrong when the MX set or a host's addresses could not be had (the targets found still count).
struct MxTargets {
  std::vector<DnsblTarget> targets;
  std::vector<std::string> problems;  // "MX of example.test: SERVFAIL"
};
boost::asio::awaitable<MxTargets> mx_targets(const std::string& domain, const DnsQuery& query,
                                             Mono::time_point deadline);

// What the answers make of the step: its `dnsbl`, `dnsbl_counts` (and `dnsbl_problems`)
// details, the scenario's dnsbl answers for the metrics, and its verdict. A listing fails the
// step as `listed` (`listed_warn`: makes it a warning); an unknown answer, or a `problem` that
// left something unasked, makes it a warning at most, never a listing.
std::optional<Failure> report_dnsbl(const std::vector<DnsblAnswer>& answers,
                                    const std::vector<std::string>& problems, bool listed_warn,
                                    StepResult& out, ScenarioResult& scenario);

}  // namespace mc::scn
