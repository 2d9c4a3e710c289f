// Delivery as an MTA does it (smtp.send "server": "mx:DOMAIN[:PORT]"): the domain's MX hosts in
// preference order, equal preferences shuffled, every address of each, the next one after a
// connect failure, a timeout or a 4xx reply, never after a 5xx; a domain without MX is its own
// MX (RFC 5321 section 5.1). No AUTH; STARTTLS when offered.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "codec/failure.hpp"
#include "protocols/dns/answer.hpp"
#include "results/result.hpp"
#include "scenarios/scenario.hpp"

namespace mc::scn {

class StepContext;
struct SendKeys;

struct MxRoute {
  std::string domain;
  std::uint16_t port = 25;
};

// A domain name as DNS takes it: labels of letters, digits, '-' and '_', dots between.
bool valid_domain_name(const std::string& d);
// A host name compared as DNS does: lower case, without a trailing dot.
std::string host_key(std::string host);

// Whether a step's "server" is an MX route ("mx:" first).
bool is_mx_route(const std::string& server);
// Reads "mx:DOMAIN" or "mx:DOMAIN:PORT"; the error says how to fix it.
std::optional<MxRoute> parse_mx_route(const std::string& server, std::string* error);

// The MX hosts in the order of delivery: by preference, each run of equal preferences shuffled
// with `rng` (RFC 5321 section 5.1 asks senders to spread their load so).
std::vector<proto::dns::Mx> delivery_order(std::vector<proto::dns::Mx> mx, std::mt19937& rng);

// A null MX (RFC 7505): one record, host ".", the domain takes no mail.
bool is_null_mx(const std::vector<proto::dns::Mx>& mx);

// The step's failure when a domain's MX lookup gives no host to deliver to, for dns.mx and the
// MX route alike; nullopt when the answer is MX records (or none, when `implicit_ok`).
std::optional<Failure> mx_lookup_failure(const std::string& domain, const proto::dns::Answer& a,
                                         bool deadline_passed, bool implicit_ok);

class StepInput;
struct Step;
// The load-time checks of an MX route: its form, and no "account" (an MTA does not log in).
void check_mx_route(StepInput& in, const Step& s);

// Runs smtp.send over an MX route.
boost::asio::awaitable<std::optional<Failure>> send_via_mx(StepContext& ctx, StepResult& out,
                                                           const SendKeys& keys);

}  // namespace mc::scn
