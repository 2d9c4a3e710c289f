// Failures are data: a reason from a fixed set, the phase it happened in, a message written by
// mailcanary, and — kept apart — the server's own words.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "codec/enum_names.hpp"

namespace mc {

// The fixed set of failure reasons of the result document. Never extend with free-form strings.
enum class Reason {
  dns,
  connect_refused,
  connect_timeout,
  timeout,
  tls_handshake,
  tls_cert_untrusted,
  tls_cert_expired,
  tls_cert_hostname,
  starttls_unavailable,
  auth_failed,
  rejected,
  protocol,
  not_delivered,
  junk,
  bounced,
  disconnected,
  auth_results,  // an Authentication-Results verdict other than the scenario expects
  accepted,      // a policy probe the server should have refused was accepted
  listed,        // a DNS block list lists an address or domain (dnsbl.check)
  expectation,   // an HTTP status or content check failed
  internal,
};

inline constexpr EnumName<Reason> kReasonNames[] = {
    {Reason::dns, "dns"},
    {Reason::connect_refused, "connect_refused"},
    {Reason::connect_timeout, "connect_timeout"},
    {Reason::timeout, "timeout"},
    {Reason::tls_handshake, "tls_handshake"},
    {Reason::tls_cert_untrusted, "tls_cert_untrusted"},
    {Reason::tls_cert_expired, "tls_cert_expired"},
    {Reason::tls_cert_hostname, "tls_cert_hostname"},
    {Reason::starttls_unavailable, "starttls_unavailable"},
    {Reason::auth_failed, "auth_failed"},
    {Reason::rejected, "rejected"},
    {Reason::protocol, "protocol"},
    {Reason::not_delivered, "not_delivered"},
    {Reason::junk, "junk"},
    {Reason::bounced, "bounced"},
    {Reason::disconnected, "disconnected"},
    {Reason::auth_results, "auth_results"},
    {Reason::accepted, "accepted"},
    {Reason::listed, "listed"},
    {Reason::expectation, "expectation"},
    {Reason::internal, "internal"},
};
static_assert(names_all(kReasonNames, Reason::internal), "a Reason without its name");

std::string_view to_string(Reason r);

// A server's reply as it was received. SMTP fills code and enhanced ("2.0.0"); IMAP leaves code
// at 0, puts the status (OK/NO/BAD/BYE) in `status` and the response code ("AUTHENTICATIONFAILED")
// in `enhanced`. `text` is the human-readable part, multi-line replies joined with '\n'.
struct ServerReply {
  int code = 0;
  std::string enhanced;
  std::string text;
  std::string status;
};

struct Failure {
  Reason reason = Reason::internal;
  std::string phase;
  std::string message;
  std::optional<ServerReply> reply;
};

}  // namespace mc
