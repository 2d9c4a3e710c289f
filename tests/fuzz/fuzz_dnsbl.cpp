// The block-list core of protocols/dns/dnsbl.hpp and the sending address of
// protocols/mime/received_from.hpp on arbitrary input: the first line is an address, the
// second a zone, the third the A records of an answer (separated by spaces), the fourth its TXT
// records (separated by '|'), the rest a header block.
//
// Asserts beyond "no crash":
// - a canonical address is its own canonical form;
// - a query name is the zone's normal name under 4 decimal labels (IPv4) or 32 nibbles (IPv6)
//   that read back, reversed, as the address; at most 253 bytes;
// - a listing is only an answer of IPv4 records in 127.0.0.2..127.255.254.255 none of which is
//   one of the zone's error codes; NXDOMAIN is always clean;
// - a reason is printable ASCII within kMaxReason bytes;
// - a Received address is canonical, and the sending address is public.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/dns/dnsbl.hpp"
#include "protocols/mime/received_from.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using namespace mc::proto::dns;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string take_line(std::string_view& rest) {
  const auto nl = rest.find('\n');
  std::string line(rest.substr(0, nl));
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

void check_query(const std::string& address, const std::string& zone) {
  const auto q = address_query(address, zone);
  const auto canonical = canonical_address(address);
  const auto z = normal_name(zone);
  if (!canonical || !z) {
    check(!q, "a query name without an address and a zone", address);
    return;
  }
  if (!q) return;  // too long
  check(q->size() <= 253, "a query name over 253 bytes", *q);
  check(q->size() > z->size() + 1 && q->substr(q->size() - z->size() - 1) == "." + *z,
        "a query name not under the zone", *q);
  const auto labels = split(q->substr(0, q->size() - z->size() - 1), '.');
  std::string back;
  if (canonical->find(':') == std::string::npos) {
    check(labels.size() == 4, "an IPv4 query name without 4 labels", *q);
    for (auto it = labels.rbegin(); it != labels.rend(); ++it)
      back += (back.empty() ? "" : ".") + *it;
  } else {
    check(labels.size() == 32, "an IPv6 query name without 32 nibbles", *q);
    std::string hex;
    std::size_t nibbles = 0;
    for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
      check(it->size() == 1 && std::isxdigit(static_cast<unsigned char>((*it)[0])),
            "an IPv6 label that is no nibble", *q);
      hex += *it;
      if (++nibbles % 4 == 0 && nibbles < 32) hex += ':';
    }
    back = canonical_address(hex).value_or("?");
  }
  check(back == *canonical, "a query name that does not read back as the address", *q);
}

bool listing_code(const std::string& code, const std::vector<std::string>& errors) {
  const auto c = canonical_address(code);
  if (!c || *c != code || c->rfind("127.", 0) != 0) return false;
  if (code == "127.0.0.0" || code.rfind("127.255.255.", 0) == 0) return false;
  return std::find(errors.begin(), errors.end(), code) == errors.end();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string address = take_line(rest);
  const std::string zone = take_line(rest);
  const std::string codes = take_line(rest);
  const std::string txts = take_line(rest);

  if (auto c = canonical_address(address))
    check(canonical_address(*c) == c, "a canonical address that is not its own", *c);
  check_query(address, zone);
  if (auto q = domain_query(address, zone)) check(q->size() <= 253, "a domain query too long", *q);

  Answer a;
  a.status = Status::ok;
  if (!codes.empty()) a.addresses = split(codes, ' ');
  const auto c = classify(zone, a);
  if (c.verdict == Verdict::listed) {
    check(!a.addresses.empty(), "a listing without records", codes);
    const auto errors = zone_error_codes(zone);
    for (const auto& code : a.addresses)
      check(listing_code(code, errors), "a listing by a code that is none", code);
  }
  a.status = Status::nxdomain;
  check(classify(zone, a).verdict == Verdict::clean, "NXDOMAIN not clean", zone);

  Answer t;
  t.status = Status::ok;
  t.txt = split(txts, '|');
  const auto reason = listing_reason(t);
  check(reason.size() <= kMaxReason, "a reason over the limit", reason);
  for (char ch : reason) check(ch >= 0x20 && ch < 0x7f, "a reason not printable", reason);

  const std::string block(rest);
  if (auto r = mc::proto::mime::received_from_address(block))
    check(canonical_address(*r) == r, "a Received address that is not canonical", *r);
  if (auto s = mc::proto::mime::sending_address(block))
    check(is_public_address(*s), "a sending address that is not public", *s);
  return 0;
}
