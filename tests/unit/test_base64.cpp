// base64 for SASL: the RFC 4648 test vectors and refusal of anything that is not base64.
#include <catch2/catch.hpp>

#include "codec/base64.hpp"

using mc::codec::base64_decode;
using mc::codec::base64_encode;

TEST_CASE("base64 encodes and decodes the RFC 4648 vectors", "[base64]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == std::optional<std::string>(plain));
  }
}

TEST_CASE("base64 keeps NUL and 8-bit bytes (AUTH PLAIN)", "[base64]") {
  const std::string plain("\0user\0p\xc3\xa4ss", 11);
  CHECK(base64_encode(plain) == "AHVzZXIAcMOkc3M=");
  CHECK(base64_decode(base64_encode(plain)) == std::optional<std::string>(plain));
}

TEST_CASE("base64 refuses bad length, bad characters and misplaced padding", "[base64]") {
  for (const char* bad : {"Zg=", "Zm9v!A==", "Z===", "=m9v", "Zg==Zm9v", "Zm 9v"})
    CHECK_FALSE(base64_decode(bad).has_value());
}
