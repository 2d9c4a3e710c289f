// What a result shows of a server's certificate, on arbitrary DER: the certificate is whatever
// a server sends, and its subject ends up in every report.
//
// Asserts beyond "no crash": for any certificate OpenSSL parses, the fingerprint is 32
// upper-case hex bytes joined by colons, and the subject is printable ASCII (no control byte,
// nothing above 0x7e) of at most kMaxSubject characters.
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/harness.hpp"
#include "transport/tls_facts.hpp"

namespace {

bool fingerprint_shape(const std::string& f) {
  if (f.size() != 32 * 3 - 1) return false;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const char c = f[i];
    const bool ok = i % 3 == 2 ? c == ':' : (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const unsigned char* p = data;
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(size));
  if (cert == nullptr) return 0;
  const std::string fingerprint = mc::tls::sha256_fingerprint(cert);
  mc::fuzz::check(fingerprint_shape(fingerprint), "fingerprint is not 32 hex bytes", fingerprint);
  const std::string subject = mc::tls::subject_text(cert);
  mc::fuzz::check(subject.size() <= mc::tls::kMaxSubject, "subject too long", subject);
  for (char c : subject)
    mc::fuzz::check(c >= 0x20 && c <= 0x7e, "subject not printable ASCII", subject);
  X509_free(cert);
  return 0;
}
