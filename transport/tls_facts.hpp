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
Failure classify_tls_failure(SSL* ssl, const boost::system::error_code& ec,
                             const std::string& phase, const std::string& name);

}  // namespace mc::tls
