#include "results/failure.hpp"

namespace mc {

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::dns:
      return "dns";
    case Reason::connect_refused:
      return "connect_refused";
    case Reason::connect_timeout:
      return "connect_timeout";
    case Reason::timeout:
      return "timeout";
    case Reason::tls_handshake:
      return "tls_handshake";
    case Reason::tls_cert_untrusted:
      return "tls_cert_untrusted";
    case Reason::tls_cert_expired:
      return "tls_cert_expired";
    case Reason::tls_cert_hostname:
      return "tls_cert_hostname";
    case Reason::starttls_unavailable:
      return "starttls_unavailable";
    case Reason::auth_failed:
      return "auth_failed";
    case Reason::rejected:
      return "rejected";
    case Reason::protocol:
      return "protocol";
    case Reason::not_delivered:
      return "not_delivered";
    case Reason::junk:
      return "junk";
    case Reason::disconnected:
      return "disconnected";
    case Reason::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace mc
