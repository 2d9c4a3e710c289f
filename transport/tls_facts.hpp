// What a finished or failed TLS handshake tells: the facts a result reports, and the failure
// reason a verification error is. Internal to transport/.
#pragma once

#include <openssl/ssl.h>

#include <boost/system/error_code.hpp>
#include <string>

#include "codec/failure.hpp"
#include "results/result.hpp"

namespace mc::tls {

Failure make_failure(Reason r, std::string phase, std::string message);
TlsFacts collect_tls_facts(SSL* ssl, bool verify);
// A certificate's SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it:
// 32 upper-case hex bytes joined by colons.
std::string sha256_fingerprint(X509* cert);
// A certificate's subject for people, RFC 2253 with every control and non-ASCII byte escaped,
// at most kMaxSubject characters: a server chooses it, and it ends up in reports.
inline constexpr std::size_t kMaxSubject = 256;
std::string subject_text(X509* cert);
Failure classify_tls_failure(SSL* ssl, const boost::system::error_code& ec,
                             const std::string& phase, const std::string& name);

}  // namespace mc::tls
