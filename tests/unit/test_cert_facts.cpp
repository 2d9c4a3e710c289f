// A certificate's fingerprint and subject as the results show them, on real certificates: a
// public root (ISRG Root X2) and a self-signed one whose subject holds control characters,
// UTF-8, quotes and commas. The expected values are what `openssl x509 -fingerprint -sha256`
// and `openssl x509 -subject -nameopt RFC2253` print for the same files.
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "transport/tls_facts.hpp"

namespace {

const char* const kIsrgRootX2 = R"(-----BEGIN CERTIFICATE-----
MIICGzCCAaGgAwIBAgIQQdKd0XLq7qeAwSxs6S+HUjAKBggqhkjOPQQDAzBPMQsw
CQYDVQQGEwJVUzEpMCcGA1UEChMgSW50ZXJuZXQgU2VjdXJpdHkgUmVzZWFyY2gg
R3JvdXAxFTATBgNVBAMTDElTUkcgUm9vdCBYMjAeFw0yMDA5MDQwMDAwMDBaFw00
MDA5MTcxNjAwMDBaME8xCzAJBgNVBAYTAlVTMSkwJwYDVQQKEyBJbnRlcm5ldCBT
ZWN1cml0eSBSZXNlYXJjaCBHcm91cDEVMBMGA1UEAxMMSVNSRyBSb290IFgyMHYw
EAYHKoZIzj0CAQYFK4EEACIDYgAEzZvVn4CDCuwJSvMWSj5cz3es3mcFDR0HttwW
+1qLFNvicWDEukWVEYmO6gbf9yoWHKS5xcUy4APgHoIYOIvXRdgKam7mAHf7AlF9
ItgKbppbd9/w+kHsOdx1ymgHDB/qo0IwQDAOBgNVHQ8BAf8EBAMCAQYwDwYDVR0T
AQH/BAUwAwEB/zAdBgNVHQ4EFgQUfEKWrt5LSDv6kviejM9ti6lyN5UwCgYIKoZI
zj0EAwMDaAAwZQIwe3lORlCEwkSHRhtFcP9Ymd70/aTSVaYgLXTWNLxBo1BfASdW
tL4ndQavEi51mI38AjEAi/V3bNTIZargCyzuFJ0nN6T5U6VR5CmD1/iQMVtCnwr1
/q4AaOeMSQ+2b1tbFfLn
-----END CERTIFICATE-----)";

// CN "mail.example.test" BEL ESC "[31m"; O "Gr\u00fc\u00dfe, \"Ltd\"" in UTF-8.
const char* const kHostile = R"(-----BEGIN CERTIFICATE-----
MIIByzCCAXGgAwIBAgIUX8RT6588gbZR4eTbXH/YbRWumm8wCgYIKoZIzj0EAwIw
OzEgMB4GA1UEAwwXbWFpbC5leGFtcGxlLnRlc3QHG1szMW0xFzAVBgNVBAoMDkdy
w7zDn2UsICJMdGQiMB4XDTI2MTIwMTEzMjkxOVoXDTM2MTEyODEzMjkxOVowOzEg
MB4GA1UEAwwXbWFpbC5leGFtcGxlLnRlc3QHG1szMW0xFzAVBgNVBAoMDkdyw7zD
n2UsICJMdGQiMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhc28NK5WSokFf2eP
oxxIlqD0zt2Ynx3F2rcQ40Do/IKPt1OOJ+NNvrRNtr2sYcv/vcyD1aprcAwLRY51
aEGCY6NTMFEwHQYDVR0OBBYEFApEM0AFA5RJpEryzhSGSFI/OwREMB8GA1UdIwQY
MBaAFApEM0AFA5RJpEryzhSGSFI/OwREMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZI
zj0EAwIDSAAwRQIgDjp4kCkkHIH5/UGjz1lXMfLkeeU/cePi0u19+uBDVpgCIQDs
F6RuK124C37NCqMRKG+EaMCpQZYRBupQemghzRe0fA==
-----END CERTIFICATE-----)";

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using Cert = std::unique_ptr<X509, X509Free>;

Cert parse(const char* pem) {
  BIO* bio = BIO_new_mem_buf(pem, -1);
  REQUIRE(bio != nullptr);
  Cert cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  REQUIRE(cert);
  return cert;
}

}  // namespace

TEST_CASE("certificate facts: SHA-256 fingerprint as openssl prints it", "[tls_expiry]") {
  CHECK(mc::tls::sha256_fingerprint(parse(kIsrgRootX2).get()) ==
        "69:72:9B:8E:15:A8:6E:FC:17:7A:57:AF:B7:17:1D:FC:64:AD:D2:8C:2F:CA:8C:F1:50:7E:34:45:3C:"
        "CB:14:70");
  CHECK(mc::tls::sha256_fingerprint(parse(kHostile).get()) ==
        "1C:9A:28:23:37:64:77:38:37:C5:50:E8:FC:C1:45:5C:93:D6:1B:89:0A:0D:E7:28:AE:64:D1:50:FF:"
        "C2:B6:C9");
  CHECK(mc::tls::sha256_fingerprint(nullptr).empty());
}

TEST_CASE("certificate facts: the subject in RFC 2253, every hostile byte escaped",
          "[tls_expiry]") {
  CHECK(mc::tls::subject_text(parse(kIsrgRootX2).get()) ==
        "CN=ISRG Root X2,O=Internet Security Research Group,C=US");
  CHECK(mc::tls::subject_text(parse(kHostile).get()) ==
        R"(O=Gr\C3\BC\C3\9Fe\, \"Ltd\",CN=mail.example.test\07\1B[31m)");
  CHECK(mc::tls::subject_text(nullptr).empty());
}

TEST_CASE("certificate facts: a subject is cut to a bounded length", "[tls_expiry]") {
  Cert cert(X509_new());
  REQUIRE(cert);
  const std::string huge(5000, 'a');
  REQUIRE(X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "1.3.6.1.4.1.99999.1",
                                     MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(huge.data()),
                                     static_cast<int>(huge.size()), -1, 0) == 1);
  const std::string s = mc::tls::subject_text(cert.get());
  CHECK(s.size() == mc::tls::kMaxSubject);
  // An attribute OpenSSL does not know is written as its DER in hex, as openssl prints it.
  CHECK(s.rfind("1.3.6.1.4.1.99999.1=#0C821388616161", 0) == 0);
  CHECK(s.substr(s.size() - 3) == "...");
}
