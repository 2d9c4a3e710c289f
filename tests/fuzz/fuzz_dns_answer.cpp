// parse() of protocols/dns/answer.hpp on arbitrary replies. The first byte picks the type asked
// for, the rest is the reply.
//
// Asserts beyond "no crash":
// - ok comes with records of the type asked for and only those, and without an error text;
//   any other status with no records at all and an error text;
// - the status agrees with the header's rcode (NOERROR gives ok, nodata or error; 2, 3 and 5
//   give servfail, nxdomain and refused);
// - addresses are IPv4 or IPv6 text as asked; MX hosts are host names (letters, digits, '-',
//   '_' and dots) that never end in a dot;
// - parsing is deterministic.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "protocols/dns/answer.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using namespace mc::proto::dns;

bool same(const Answer& a, const Answer& b) {
  if (a.status != b.status || a.error != b.error || a.addresses != b.addresses || a.txt != b.txt ||
      a.mx.size() != b.mx.size())
    return false;
  for (std::size_t i = 0; i < a.mx.size(); ++i)
    if (a.mx[i].preference != b.mx[i].preference || a.mx[i].host != b.mx[i].host) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Type type = static_cast<Type>(data[0] % 4);
  const unsigned char* reply = data + 1;
  const std::size_t n = size - 1;
  const Answer a = parse(type, reply, n);
  const std::string bytes(reinterpret_cast<const char*>(reply), n);

  const bool records = !a.addresses.empty() || !a.mx.empty() || !a.txt.empty();
  if (a.status == Status::ok) {
    check(records, "ok without records", bytes);
    check(a.error.empty(), "ok with an error text", a.error);
    check(a.addresses.empty() || type == Type::a || type == Type::aaaa,
          "addresses for a query of another type", bytes);
    check(a.mx.empty() || type == Type::mx, "MX records for a query of another type", bytes);
    check(a.txt.empty() || type == Type::txt, "TXT records for a query of another type", bytes);
  } else {
    check(!records, "records with a failed status", to_string(a.status));
    check(!a.error.empty(), "a failed status without an error text", to_string(a.status));
  }

  if (n >= 12 && (reply[2] & 0x80) != 0) {
    const int rcode = reply[3] & 0x0f;
    const Status expected = rcode == 2   ? Status::servfail
                            : rcode == 3 ? Status::nxdomain
                            : rcode == 5 ? Status::refused
                                         : Status::error;
    if (rcode == 0)
      check(a.status == Status::ok || a.status == Status::nodata || a.status == Status::error,
            "NOERROR read as another rcode", to_string(a.status));
    else
      check(a.status == expected, "the status disagrees with the rcode", to_string(a.status));
  } else {
    check(a.status == Status::error, "a short reply or a query read as an answer", bytes);
  }

  for (const auto& address : a.addresses) {
    unsigned char buf[16];
    check(::inet_pton(type == Type::a ? AF_INET : AF_INET6, address.c_str(), buf) == 1,
          "an address that is not of the family asked for", address);
  }
  for (const auto& mx : a.mx) {
    check(mx.host.empty() || mx.host.back() != '.', "an MX host with its trailing dot", mx.host);
    for (char c : mx.host)
      check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.',
            "an MX host that is no host name", mx.host);
  }

  check(same(a, parse(type, reply, n)), "parsing the same reply twice differs", bytes);
  return 0;
}
