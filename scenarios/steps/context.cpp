#include "scenarios/steps/context.hpp"

#include <unistd.h>

#include <cstdio>

#include "scenarios/steps/servers.hpp"
#include "scenarios/steps/step.hpp"

namespace mc {

std::string local_host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace mc

namespace mc::scn {

std::string printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void check_mailbox_login(StepInput& in, const Step& s) {
  if (s.server.empty())
    in.problem(in.where(), s.kind + " needs a \"server\"");
  else
    in.check_server(s, {"imap", "imaps"});
  if (s.account.empty())
    in.problem(in.where(), s.kind + " needs an \"account\"");
  else
    in.check_account(s);
  in.check_plaintext_auth(s);
}

SessionOptions StepContext::session_options(const Server& server, Mono::time_point until) const {
  SessionOptions o;
  o.host = server.host;
  o.port = server.port;
  o.implicit_tls = server.implicit_tls;
  o.tls = {server.tls.verify, server.tls.ca_file, server.tls.server_name, server.tls.min_version};
  o.deadline = until;
  o.dns = dns_settings(file);
  o.family = server.ip == '4' ? IpFamily::v4 : server.ip == '6' ? IpFamily::v6 : IpFamily::any;
  o.live = live;
  return o;
}

DnsSettings dns_settings(const File& file) {
  return {file.dns.servers, file.dns.timeout};
}

void StepContext::record(const Server& server, const SessionOutcome& o, StepResult& out) const {
  out.server = server.url;
  if (!o.address.empty()) out.address = o.address;
  // "ip": one family only, and the result says so (the address alone does not say it was asked).
  if (server.ip != 0)
    out.add_detail("ip", std::string(1, server.ip),
                   std::string("IPv") + server.ip + " only (the server's \"ip\")");
  if (o.tls) {
    out.tls = o.tls;
    auto seconds = [](const std::optional<milliseconds>& d) -> std::optional<double> {
      if (!d) return std::nullopt;
      return std::chrono::duration<double>(*d).count();
    };
    out.tls->expiry_warn_s = seconds(server.tls.expiry_warn);
    out.tls->expiry_crit_s = seconds(server.tls.expiry_crit);
  }
  for (const auto& p : o.phases)
    out.phases.push_back({p.name, timeline.offset_s(p.start), Stopwatch::seconds(p.end - p.start)});
}

std::optional<Mono::time_point> StepContext::phase_end(const SessionOutcome& o,
                                                       std::string_view n) {
  for (auto it = o.phases.rbegin(); it != o.phases.rend(); ++it)
    if (it->name == n) return it->end;
  return std::nullopt;
}

std::vector<TranscriptLine> lines_since(const Transcript& t, std::size_t mark) {
  const auto& lines = t.lines();
  const std::size_t fresh = std::min(t.total() - std::min(mark, t.total()), lines.size());
  return {lines.end() - static_cast<std::ptrdiff_t>(fresh), lines.end()};
}

boost::asio::awaitable<std::optional<Failure>> StepKind::start_early(StepContext&,
                                                                     StepResult&) const {
  co_return Failure{Reason::internal, "", std::string(name()) + " does not start early", {}};
}

boost::asio::awaitable<SweepFound> StepKind::sweep(StepContext&, const std::string&) const {
  SweepFound none;
  none.failure = Failure{Reason::internal, "", std::string(name()) + " keeps no probes", {}};
  co_return none;
}

}  // namespace mc::scn
