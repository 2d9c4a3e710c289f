// The file's "dns" block and a server's "ip": which resolvers mailcanary asks, and which
// address family a server's connections use.
#include <arpa/inet.h>

#include "scenarios/loader.hpp"

namespace mc::scn {

namespace {

// A query that waits longer than this holds the step long after a resolver would have given up.
constexpr milliseconds kMaxDnsTimeout{60'000};

bool is_ipv4(const std::string& s) {
  unsigned char buf[4];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1;
}

bool is_ipv6(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool valid_port(const std::string& s) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  const long n = std::stol(s);
  return n >= 1 && n <= 65535;
}

// "192.0.2.53", "192.0.2.53:5353", "2001:db8::53", "[2001:db8::53]:5353": what c-ares takes.
std::optional<std::string> dns_server_problem(const std::string& s) {
  static const std::string kLike =
      "give an IP address with an optional port, like \"192.0.2.53\", \"127.0.0.1:5353\" or "
      "\"[::1]:53\"";
  if (s.empty()) return "is empty; " + kLike;
  if (s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string::npos || !is_ipv6(s.substr(1, close - 1)))
      return "is not an IPv6 address in brackets; " + kLike;
    const std::string rest = s.substr(close + 1);
    if (rest.empty()) return std::nullopt;
    if (rest.front() != ':' || !valid_port(rest.substr(1)))
      return "has no valid port after the brackets (1 to 65535); " + kLike;
    return std::nullopt;
  }
  if (is_ipv6(s) || is_ipv4(s)) return std::nullopt;
  if (const auto colon = s.rfind(':'); colon != std::string::npos && is_ipv4(s.substr(0, colon))) {
    if (!valid_port(s.substr(colon + 1))) return "has no valid port (1 to 65535); " + kLike;
    return std::nullopt;
  }
  return "is not an IP address (a resolver is named by its address, not a host name); " + kLike;
}

}  // namespace

void Loader::load_dns(const json& root, File& f) {
  auto it = root.find("dns");
  if (it == root.end()) return;
  if (!it->is_object()) {
    problem("dns", "must be an object like {\"servers\": [\"192.0.2.53\"], \"timeout\": \"2s\"}");
    return;
  }
  known_keys(*it, "dns", {"servers", "timeout"});
  if (auto s = it->find("servers"); s != it->end()) {
    if (!s->is_array() || s->empty()) {
      problem("dns.servers",
              "must be a non-empty list of resolver addresses, like [\"192.0.2.53\", "
              "\"127.0.0.1:5353\"]; leave \"servers\" out for the system's resolvers");
    } else {
      for (std::size_t i = 0; i < s->size(); ++i) {
        const std::string where = "dns.servers[" + std::to_string(i) + "]";
        const json& v = (*s)[i];
        if (!v.is_string()) {
          problem(where, "must be a string, like \"192.0.2.53\"");
          continue;
        }
        const auto text = v.get<std::string>();
        if (auto p = dns_server_problem(text)) {
          problem(where, "\"" + shortened(text) + "\" " + *p);
          continue;
        }
        f.dns.servers.push_back(text);
      }
    }
  }
  if (auto d = get_duration(*it, "timeout", "dns")) {
    if (*d > kMaxDnsTimeout)
      problem("dns.timeout", format_duration(*d) + " is longer than a DNS query may wait (" +
                                 format_duration(kMaxDnsTimeout) + "); give a shorter one");
    else
      f.dns.timeout = *d;
  }
}

void Loader::load_server_ip(const json& sj, const std::string& where, Server& s) {
  auto it = sj.find("ip");
  if (it == sj.end()) return;
  if (it->is_number_integer() && (it->get<long long>() == 4 || it->get<long long>() == 6)) {
    problem(where + ".ip",
            "must be a string: write \"" + std::to_string(it->get<long long>()) + "\"");
    return;
  }
  if (!it->is_string() || (it->get<std::string>() != "4" && it->get<std::string>() != "6")) {
    problem(where + ".ip", "must be \"4\" (IPv4 only) or \"6\" (IPv6 only); leave it out for both");
    return;
  }
  const std::string v = it->get<std::string>();
  if ((v == "4" && is_ipv6(s.host)) || (v == "6" && is_ipv4(s.host))) {
    problem(where + ".ip", "the url's host " + s.host + " is an IPv" + (v == "4" ? "6" : "4") +
                               " address, so \"ip\": \"" + v +
                               "\" could never connect; drop \"ip\" or change the url");
    return;
  }
  s.ip = v[0];
}

}  // namespace mc::scn
