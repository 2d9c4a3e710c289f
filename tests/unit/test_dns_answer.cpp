#include <catch2/catch.hpp>

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
