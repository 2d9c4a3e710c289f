// The Received: reader of protocols/mime/received.hpp on arbitrary header blocks.
//
// Asserts beyond "no crash":
// - every Received field is a hop or counted as unparsed, and at most kMaxHops are hops;
// - every value is printable ASCII of at most kMaxReceivedValue bytes;
// - a TLS version is one OpenSSL would print, and a version or cipher means tls == true;
// - a hop has a delay only with a date, and is flagged as skew exactly when it is negative;
// - given a start, the delays add up to the last date minus the start;
// - parse_received decides alike on a field's value alone.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/mime/headers.hpp"
#include "protocols/mime/received.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using namespace mc::proto::mime;

constexpr std::int64_t kStart = 1795435200;  // Mon, 23 Nov 2026 12:00:00 +0000

void printable(const std::string& v, std::string_view what) {
  check(v.size() <= kMaxReceivedValue, "a value over the limit", what);
  for (char c : v) check(c >= 0x20 && c < 0x7f, "a value that is not printable ASCII", what);
}

bool known_version(const std::string& v) {
  if (v.empty() || v == "TLSv1") return true;
  if (v.size() == 7 && v.rfind("TLSv1.", 0) == 0 && v[6] >= '0' && v[6] <= '9') return true;
  return v.size() == 5 && v.rfind("SSLv", 0) == 0 && v[4] >= '0' && v[4] <= '9';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto fields = header_fields(text, "Received");
  const Hops h = received_hops(text, kStart);
  check(h.hops.size() + static_cast<std::size_t>(h.unparsed) == fields.size(),
        "a Received field neither a hop nor unparsed");
  check(h.hops.size() <= kMaxHops, "more hops than kMaxHops");
  std::size_t parsed = 0;
  for (std::size_t i = 0; i < fields.size() && i < kMaxHops; ++i)
    parsed += parse_received(fields[i]) ? 1 : 0;
  check(parsed == h.hops.size(), "parse_received and received_hops disagree");

  std::int64_t sum = 0;
  std::optional<std::int64_t> last;
  for (const auto& hop : h.hops) {
    const auto& r = hop.received;
    for (const auto* v : {&r.from, &r.by, &r.via, &r.with, &r.id, &r.tls_version, &r.tls_cipher})
      printable(*v, *v);
    check(known_version(r.tls_version), "an unknown TLS version", r.tls_version);
    check((r.tls_version.empty() && r.tls_cipher.empty()) || r.tls == true,
          "a TLS version or cipher without tls", r.tls_cipher);
    // With a start, every hop with a date has a delay.
    check(hop.delay_s.has_value() == r.at.has_value(), "a delay without a date, or none with one");
    if (hop.delay_s) {
      check(hop.skew == (*hop.delay_s < 0), "skew not exactly a negative delay");
      sum += *hop.delay_s;
      last = r.at;
    } else {
      check(!hop.skew, "skew without a delay");
    }
  }
  if (last) check(sum == *last - kStart, "the delays do not add up to the last date");
  (void)parse_received(text);  // the raw text as one value
  return 0;
}
