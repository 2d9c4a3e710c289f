// DNS replies as they came off the wire, captured from dnsmasq 2.90 serving
// tests/e2e/dns/mx.conf (query id 0x1234, TTL 0 as dnsmasq gives its own records), for the
// parser of protocols/dns/answer.hpp. SERVFAIL is the REFUSED reply with rcode 2, as dnsmasq
// sends no SERVFAIL without an upstream.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mc::test::dns {

inline std::vector<unsigned char> bytes(std::string_view hex) {
  std::vector<unsigned char> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(
        static_cast<unsigned char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// smtp.mx.test A -> 127.0.0.1
inline constexpr std::string_view kA =
    "12348580000100010000000004736d7470026d7804746573740000010001c00c000100010000000000047f000001";
// smtp.mx.test AAAA -> ::1
inline constexpr std::string_view kAaaa =
    "12348580000100010000000004736d7470026d78047465737400001c0001c00c001c00010000000000100000000000"
    "0000000000000000000001";
// mx.test MX -> 20 smtp.mx.test, 10 dead.mx.test, with their addresses as additional records
inline constexpr std::string_view kMx =
    "123485800001000200000003026d78047465737400000f0001c00c000f0001000000000010001404736d7470026d78"
    "047465737400c00c000f0001000000000010000a0464656164026d78047465737400c027000100010000000000047f"
    "000001c027001c000100000000001000000000000000000000000000000001c043000100010000000000047f00000"
    "2";
// text.test TXT -> "first part " "second part" (one record of two strings), "v=spf1 -all"
inline constexpr std::string_view kTxt =
    "123485800001000200000000047465787404746573740000100001c00c001000010000000000180b66697273742070"
    "617274200b7365636f6e642070617274c00c0010000100000000000c0b763d73706631202d616c6c";
// alias.mx.test A -> CNAME smtp.mx.test, 127.0.0.1
inline constexpr std::string_view kCnameA =
    "12348580000100020000000005616c696173026d7804746573740000010001c00c0005000100000000000e04736d74"
    "70026d78047465737400c02b000100010000000000047f000001";
// alias.mx.test MX -> the CNAME only
inline constexpr std::string_view kCnameOnlyMx =
    "12348580000100010000000005616c696173026d78047465737400000f0001c00c0005000100000000000e04736d74"
    "70026d78047465737400";
// nothere.test A -> NXDOMAIN
inline constexpr std::string_view kNxdomain =
    "123481830001000000000000076e6f746865726504746573740000010001";
// nomx.test MX -> NOERROR, no answers (the name has an A record only)
inline constexpr std::string_view kNodata =
    "123481800001000000000000046e6f6d78047465737400000f0001";
// servfail.example A -> REFUSED (no upstream)
inline constexpr std::string_view kRefused =
    "12348185000100000000000008736572766661696c076578616d706c650000010001";
inline constexpr std::string_view kServfail =
    "12348182000100000000000008736572766661696c076578616d706c650000010001";

}  // namespace mc::test::dns
