#include "transport/tls_facts.hpp"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>

namespace mc::tls {
namespace {

std::optional<Wall::time_point> to_time_point(const ASN1_TIME* t) {
  if (t == nullptr) return std::nullopt;
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return Wall::from_time_t(timegm(&tm));
}

}  // namespace

Failure make_failure(Reason r, std::string phase, std::string message) {
  Failure f;
  f.reason = r;
  f.phase = std::move(phase);
  f.message = std::move(message);
  return f;
}

TlsFacts collect_tls_facts(SSL* ssl, bool verify) {
  TlsFacts facts;
  facts.version = SSL_get_version(ssl);
  facts.cipher = SSL_get_cipher_name(ssl);
  facts.verified = verify && SSL_get_verify_result(ssl) == X509_V_OK;
  if (X509* leaf = SSL_get1_peer_certificate(ssl)) {
    facts.cert_not_after = to_time_point(X509_get0_notAfter(leaf));
    X509_free(leaf);
  }
  // Expiry is judged over the chain that was actually verified, not every certificate the server
  // happened to send: extra, unused certificates must not raise false expiry alarms.
  if (facts.verified) {
    if (STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl)) {
      std::optional<Wall::time_point> earliest;
      for (int i = 0; i < sk_X509_num(chain); ++i) {
        auto t = to_time_point(X509_get0_notAfter(sk_X509_value(chain, i)));
        if (t && (!earliest || *t < *earliest)) earliest = t;
      }
      if (earliest)
        facts.chain_expiry_s = std::chrono::duration<double>(*earliest - Wall::now()).count();
      facts.chain_not_after = earliest;
    }
  }
  return facts;
}

Failure classify_tls_failure(SSL* ssl, const boost::system::error_code& ec,
                             const std::string& phase, const std::string& name) {
  const long v = SSL_get_verify_result(ssl);
  const std::string detail = X509_verify_cert_error_string(v);
  switch (v) {
    case X509_V_OK:
      return make_failure(Reason::tls_handshake, phase, "TLS handshake failed: " + ec.message());
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return make_failure(Reason::tls_cert_expired, phase, "server certificate: " + detail);
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return make_failure(Reason::tls_cert_hostname, phase,
                          "server certificate is not valid for '" + name + "'");
    default:
      return make_failure(Reason::tls_cert_untrusted, phase,
                          "server certificate not trusted: " + detail +
                              " (set tls.ca_file to the CA that signed it)");
  }
}

}  // namespace mc::tls
