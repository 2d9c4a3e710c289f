#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "scenarios/steps/mx_route.hpp"

using mc::proto::dns::Answer;
using mc::proto::dns::Mx;
using mc::proto::dns::Status;
using namespace mc::scn;

TEST_CASE("mx route: mx:DOMAIN and mx:DOMAIN:PORT", "[dns]") {
  std::string error;
  CHECK(is_mx_route("mx:example.net"));
  CHECK_FALSE(is_mx_route("submission"));
  auto r = parse_mx_route("mx:Example.NET.", &error);
  REQUIRE(r);
  CHECK(r->domain == "example.net");
  CHECK(r->port == 25);
  r = parse_mx_route("mx:example.net:2525", &error);
  REQUIRE(r);
  CHECK(r->port == 2525);
  for (const char* bad : {"mx:", "mx::25", "mx:exa mple.net", "mx:example.net:", "mx:example.net:0",
                          "mx:example.net:65536", "mx:example.net:25x", "mx:a..b"}) {
    INFO(bad);
    error.clear();
    CHECK_FALSE(parse_mx_route(bad, &error));
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("mx route: hosts by preference, equal preferences shuffled", "[dns]") {
  const std::vector<Mx> mx = {{20, "b1"}, {10, "a1"}, {20, "b2"},
                              {30, "c"},  {10, "a2"}, {20, "b3"}};
  std::mt19937 rng(7);
  std::set<std::string> first_of_b;
  for (int i = 0; i < 200; ++i) {
    const auto order = delivery_order(mx, rng);
    REQUIRE(order.size() == mx.size());
    for (std::size_t k = 1; k < order.size(); ++k)
      CHECK(order[k - 1].preference <= order[k].preference);
    CHECK(order.back().host == "c");
    first_of_b.insert(order[2].host);
  }
  // Every host of the 20s comes first among them some of the time.
  CHECK(first_of_b == std::set<std::string>{"b1", "b2", "b3"});
}

TEST_CASE("mx route: what an MX answer means for delivery", "[dns]") {
  Answer a;
  a.status = Status::ok;
  a.mx = {{10, "mx.example.net"}};
  CHECK_FALSE(mx_lookup_failure("example.net", a, false, false));
  a.mx = {{0, ""}};
  CHECK(is_null_mx(a.mx));
  auto f = mx_lookup_failure("example.net", a, false, true);
  REQUIRE(f);
  CHECK(f->reason == mc::Reason::dns);
  CHECK(f->message.find("null MX") != std::string::npos);

  Answer none;
  none.status = Status::nodata;
  CHECK_FALSE(mx_lookup_failure("example.net", none, false, true));  // the A record, then
  REQUIRE(mx_lookup_failure("example.net", none, false, false));     // dns.mx: no MX
  Answer nx;
  nx.status = Status::nxdomain;
  f = mx_lookup_failure("nothere.example", nx, false, true);
  REQUIRE(f);
  CHECK(f->message.find("does not exist") != std::string::npos);
  Answer late;
  late.status = Status::timeout;
  late.error = "no answer within the query's timeout";
  CHECK(mx_lookup_failure("example.net", late, false, true)->reason == mc::Reason::dns);
  CHECK(mx_lookup_failure("example.net", late, true, true)->reason == mc::Reason::timeout);
  Answer servfail;
  servfail.status = Status::servfail;
  servfail.error = "SERVFAIL";
  CHECK(mx_lookup_failure("example.net", servfail, false, true)->message.find("SERVFAIL") !=
        std::string::npos);
}
