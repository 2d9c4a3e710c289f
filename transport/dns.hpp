// Name lookups through c-ares, for the driver's connections and for the steps that ask DNS
// itself (dns.mx, dnsbl.check). Every query has a timeout of its own and ends at the deadline;
// nothing is left running after it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "codec/time.hpp"
#include "protocols/dns/answer.hpp"

namespace mc {

// The file's "dns" block: { "servers": ["127.0.0.1:5353"], "timeout": "2s" }.
struct DnsSettings {
  std::vector<std::string> servers;         // "127.0.0.1:5353", "[::1]:53"; empty: the system's
  std::chrono::milliseconds timeout{5000};  // per query
};

// One query; never throws for DNS or network trouble: the answer's status says what happened.
boost::asio::awaitable<proto::dns::Answer> dns_query(const DnsSettings& settings, std::string name,
                                                     proto::dns::Type type,
                                                     Mono::time_point deadline);

// Which address family a connection uses: both (IPv6 and IPv4 as the resolver lists them), or one
// only, without falling back on the other.
enum class IpFamily { any, v4, v6 };

// The addresses of a host as a connection sees them: the hosts file first ("localhost"), then
// DNS (A and AAAA for `any`). An IP literal is its own address. The answer's `addresses` hold
// them in text form; its status says why there are none.
boost::asio::awaitable<proto::dns::Answer> dns_host(const DnsSettings& settings, std::string host,
                                                    IpFamily family, Mono::time_point deadline);

}  // namespace mc
