#include "transport/tls_facts.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
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

std::string sha256_fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), md, &len) != 1) return {};
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    if (i) out += ':';
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

std::string subject_text(X509* cert) {
  if (cert == nullptr) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  // As `openssl x509 -subject -nameopt RFC2253` prints it: control characters and every byte of
  // UTF-8 above 0x7f are escaped (\07, \C3\BC), so the text is ASCII whatever the name holds.
  std::string out;
  if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    if (n > 0 && data != nullptr) out.assign(data, static_cast<std::size_t>(n));
  }
  BIO_free(bio);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  if (out.size() > kMaxSubject) out = out.substr(0, kMaxSubject - 3) + "...";
  return out;
}

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
    facts.fingerprint_sha256 = sha256_fingerprint(leaf);
    facts.expiry_subject = subject_text(leaf);
    X509_free(leaf);
  }
  // Expiry is judged over the chain that was actually verified, not every certificate the server
  // happened to send: extra, unused certificates must not raise false expiry alarms.
  if (facts.verified) {
    if (STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl)) {
      std::optional<Wall::time_point> earliest;
      int depth = 0;
      for (int i = 0; i < sk_X509_num(chain); ++i) {
        auto t = to_time_point(X509_get0_notAfter(sk_X509_value(chain, i)));
        if (t && (!earliest || *t < *earliest)) {
          earliest = t;
          depth = i;
        }
      }
      if (earliest) {
        facts.chain_expiry_s = std::chrono::duration<double>(*earliest - Wall::now()).count();
        facts.expiry_depth = depth;
        if (depth > 0) facts.expiry_subject = subject_text(sk_X509_value(chain, depth));
      }
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
