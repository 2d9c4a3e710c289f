// The one place that touches sockets: runs any sans-I/O protocol machine over TCP, with implicit
// TLS or STARTTLS, under one deadline, stamping each phase on the monotonic clock.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "codec/time.hpp"
#include "protocols/machine.hpp"
#include "results/result.hpp"
#include "transport/dns.hpp"

namespace mc {

struct TlsSettings {
  bool verify = true;
  std::string ca_file;      // empty: the system's trust store
  std::string server_name;  // SNI and the name the certificate must carry; default the host
  std::string min_version;  // "1.2" or "1.3"; empty: OpenSSL's default (TLS 1.2 on Debian)
};

struct SessionOptions {
  std::string host;
  std::uint16_t port = 0;
  bool implicit_tls = false;
  TlsSettings tls;
  Mono::time_point deadline;
  DnsSettings dns;                  // how the host's name is looked up
  IpFamily family = IpFamily::any;  // the server's "ip"
  // Called with each new transcript line as it happens (the -v transcript); lines are redacted.
  std::function<void(const TranscriptLine&)> live;
};

struct TimedPhase {
  std::string name;
  Mono::time_point start;
  Mono::time_point end;
};

struct SessionOutcome {
  std::vector<TimedPhase> phases;
  std::optional<Failure> failure;
  std::string address;  // ip:port connected to
  std::optional<TlsFacts> tls;
};

// Runs `machine` to completion or to the deadline. Never throws for network trouble: every
// problem comes back as a Failure naming its phase and one reason of the fixed set.
boost::asio::awaitable<SessionOutcome> run_session(SessionOptions opts, proto::Machine& machine);

}  // namespace mc
