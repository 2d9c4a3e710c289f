#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "protocols/dns/answer.hpp"
#include "tests/unit/dns_packets.hpp"

using namespace mc::proto::dns;
using mc::test::dns::bytes;

namespace {

Answer parse_hex(Type type, std::string_view hex) {
  const auto b = bytes(hex);
  return parse(type, b.data(), b.size());
}

}  // namespace

TEST_CASE("dns: A and AAAA replies give their addresses in text form", "[dns]") {
  const Answer a = parse_hex(Type::a, mc::test::dns::kA);
  CHECK(a.status == Status::ok);
  CHECK(a.error.empty());
  CHECK(a.addresses == std::vector<std::string>{"127.0.0.1"});
  const Answer aaaa = parse_hex(Type::aaaa, mc::test::dns::kAaaa);
  CHECK(aaaa.status == Status::ok);
  CHECK(aaaa.addresses == std::vector<std::string>{"::1"});
}

TEST_CASE("dns: an A reply through a CNAME gives the target's address", "[dns]") {
  const Answer a = parse_hex(Type::a, mc::test::dns::kCnameA);
  CHECK(a.status == Status::ok);
  CHECK(a.addresses == std::vector<std::string>{"127.0.0.1"});
}

TEST_CASE("dns: an MX reply keeps preference and host, in the reply's order", "[dns]") {
  const Answer a = parse_hex(Type::mx, mc::test::dns::kMx);
  REQUIRE(a.status == Status::ok);
  REQUIRE(a.mx.size() == 2);
  CHECK(a.mx[0].preference == 20);
  CHECK(a.mx[0].host == "smtp.mx.test");
  CHECK(a.mx[1].preference == 10);
  CHECK(a.mx[1].host == "dead.mx.test");
  CHECK(a.addresses.empty());
}

namespace {

// An MX reply for "x" naming `hosts`, preference 10, 20, ..., each name built label by label.
std::string mx_reply(const std::vector<std::string>& hosts) {
  char b[9];
  std::snprintf(b, sizeof b, "%04x", static_cast<unsigned>(hosts.size()));
  std::string hex =
      "12348580"
      "0001" +
      std::string(b) +
      "00000000"
      "017800"
      "000f0001";
  int preference = 0;
  for (const auto& host : hosts) {
    std::string name;
    for (std::size_t start = 0; start < host.size();) {
      auto dot = host.find('.', start);
      if (dot == std::string::npos) dot = host.size();
      std::snprintf(b, sizeof b, "%02x", static_cast<unsigned>(dot - start));
      name += b;
      for (std::size_t i = start; i < dot; ++i) {
        std::snprintf(b, sizeof b, "%02x", static_cast<unsigned char>(host[i]));
        name += b;
      }
      start = dot + 1;
    }
    name += "00";
    hex += "c00c000f000100000000";
    std::snprintf(b, sizeof b, "%04x", static_cast<unsigned>(name.size() / 2 + 2));
    hex += b;
    std::snprintf(b, sizeof b, "%04x", static_cast<unsigned>(preference += 10));
    hex += b + name;
  }
  return hex;
}

}  // namespace

// Found by fuzz_dns_answer: MX hosts with a '.', a NUL or a control byte inside a label, which
// c-ares writes escaped ("d\\000\\015\\."). A name no lookup can use is skipped, as MTAs skip
// it; an answer of nothing else is malformed.
TEST_CASE("dns: an MX host that is no host name is skipped, never delivered to", "[dns]") {
  const std::string_view found =
      "12348580000100020000000300000f0001c00c000f0001000000000010001432736d7470026d780474657374"
      "00c00c000f0001000000000010000a0464000f2e0100000000000000026d010000000000007f000002";
  const Answer f = parse_hex(Type::mx, found);
  CHECK(f.status == Status::error);
  CHECK(f.mx.empty());
  CHECK(f.error.find("no MX record names a valid host name") != std::string::npos);

  const Answer both =
      parse_hex(Type::mx, mx_reply({std::string("d\0\x0f\x2e", 4) + ".m", "smtp.mx.test"}));
  REQUIRE(both.status == Status::ok);
  REQUIRE(both.mx.size() == 1);
  CHECK(both.mx[0].preference == 20);
  CHECK(both.mx[0].host == "smtp.mx.test");
}

TEST_CASE("dns: host names an MX record may name", "[dns]") {
  const auto first = [](const std::string& host) { return parse_hex(Type::mx, mx_reply({host})); };
  CHECK(first("mx1.example.net").mx.at(0).host == "mx1.example.net");
  CHECK(first("_dmarc-x.example.net").mx.at(0).host == "_dmarc-x.example.net");
  CHECK(first("mail host.example.net").status == Status::error);
  CHECK(first("mx\x01.example.net").status == Status::error);
  CHECK(first("back\\slash.example.net").status == Status::error);
}

TEST_CASE("dns: a TXT record of several strings is one entry, its strings joined", "[dns]") {
  const Answer a = parse_hex(Type::txt, mc::test::dns::kTxt);
  REQUIRE(a.status == Status::ok);
  CHECK(a.txt == std::vector<std::string>{"first part second part", "v=spf1 -all"});
}

TEST_CASE("dns: the rcode gives the status", "[dns]") {
  const Answer nx = parse_hex(Type::a, mc::test::dns::kNxdomain);
  CHECK(nx.status == Status::nxdomain);
  CHECK_FALSE(nx.error.empty());
  CHECK(parse_hex(Type::a, mc::test::dns::kRefused).status == Status::refused);
  CHECK(parse_hex(Type::a, mc::test::dns::kServfail).status == Status::servfail);
  // NXDOMAIN is NXDOMAIN whatever was asked.
  CHECK(parse_hex(Type::mx, mc::test::dns::kNxdomain).status == Status::nxdomain);
  CHECK(parse_hex(Type::txt, mc::test::dns::kNxdomain).status == Status::nxdomain);
  auto other = bytes(mc::test::dns::kNxdomain);
  other[3] = static_cast<unsigned char>((other[3] & 0xf0) | 4);  // NOTIMP
  const Answer notimp = parse(Type::a, other.data(), other.size());
  CHECK(notimp.status == Status::error);
  CHECK(notimp.error.find("rcode 4") != std::string::npos);
}

TEST_CASE("dns: NOERROR without records of the type is nodata", "[dns]") {
  CHECK(parse_hex(Type::mx, mc::test::dns::kNodata).status == Status::nodata);
  // A CNAME alone names no MX.
  CHECK(parse_hex(Type::mx, mc::test::dns::kCnameOnlyMx).status == Status::nodata);
  // An MX reply read for A records: its additional addresses are not answers.
  CHECK(parse_hex(Type::a, mc::test::dns::kMx).status == Status::nodata);
  CHECK(parse_hex(Type::txt, mc::test::dns::kA).status == Status::nodata);
}

TEST_CASE("dns: truncated and garbage replies are errors, never records", "[dns]") {
  // Each reply with where its answer section ends: a cut in the MX reply's additional records
  // leaves its answers whole.
  const std::pair<std::string_view, std::size_t> replies[] = {{mc::test::dns::kA, 46},
                                                              {mc::test::dns::kMx, 81},
                                                              {mc::test::dns::kTxt, 87},
                                                              {mc::test::dns::kAaaa, 58}};
  for (const auto& [hex, answers_end] : replies) {
    const auto full = bytes(hex);
    REQUIRE(answers_end <= full.size());
    for (std::size_t n = 0; n < answers_end; ++n) {
      for (const Type type : {Type::a, Type::aaaa, Type::mx, Type::txt}) {
        const Answer a = parse(type, full.data(), n);
        CAPTURE(hex, n, to_string(type));
        // Cut inside the records: c-ares refuses the reply, nothing of it is kept.
        CHECK(a.status != Status::ok);
        CHECK(a.addresses.empty());
        CHECK(a.mx.empty());
        CHECK(a.txt.empty());
      }
    }
  }
  const auto mx = bytes(mc::test::dns::kMx);
  CHECK(parse(Type::mx, mx.data(), 81).mx.size() == 2);
  CHECK(parse(Type::a, nullptr, 0).status == Status::error);
  const auto garbage = bytes("deadbeefcafebabe0123456789abcdef00ff00ff");
  CHECK(parse(Type::mx, garbage.data(), garbage.size()).status == Status::error);
  // A query (QR clear) is no reply.
  auto query = bytes(mc::test::dns::kA);
  query[2] = 0x01;
  CHECK(parse(Type::a, query.data(), query.size()).status == Status::error);
}

TEST_CASE("dns: status and type names", "[dns]") {
  CHECK(std::string(to_string(Status::nxdomain)) == "nxdomain");
  CHECK(std::string(to_string(Status::timeout)) == "timeout");
  CHECK(std::string(to_string(Type::aaaa)) == "AAAA");
  CHECK(std::string(to_string(Type::mx)) == "MX");
}
