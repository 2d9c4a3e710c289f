// DNS block lists (RFC 5782): the name to ask a list about an address or a domain, and what
// its answer means. Sans-I/O: the queries go through transport/dns.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/enum_names.hpp"
#include "protocols/dns/answer.hpp"

namespace mc::proto::dns {

// What one list says of one address or domain. `unknown` is never a listing: the list did not
// answer, refused the query (Spamhaus answers 127.255.255.254 to queries through public
// resolvers), or answered something no list answers for a listing.
enum class Verdict { listed, clean, unknown };
inline constexpr EnumName<Verdict> kVerdictNames[] = {
    {Verdict::listed, "listed"},
    {Verdict::clean, "clean"},
    {Verdict::unknown, "unknown"},
};
static_assert(names_all(kVerdictNames, Verdict::unknown), "a Verdict without its name");
std::string_view to_string(Verdict v);

// A zone or domain as DNS names go: 1 to 253 bytes, labels of 1 to 63 letters, digits, '-' and
// '_' (not starting or ending with '-'), no empty label; a trailing dot is allowed.
bool valid_name(std::string_view name);

// The name and its form, lower case and without a trailing dot; nullopt when not valid_name.
std::optional<std::string> normal_name(std::string_view name);

// An IPv4 or IPv6 address in its canonical text form ("192.0.2.7", "2001:db8::7"); nullopt
// when `text` is neither. IPv4-mapped IPv6 addresses ("::ffff:192.0.2.7") are their IPv4.
std::optional<std::string> canonical_address(std::string_view text);

// The name to look `address` up in `zone`: IPv4 octets reversed ("7.2.0.192.zone"), IPv6
// nibbles reversed (32 labels). nullopt when `address` is no address or `zone` no name.
std::optional<std::string> address_query(std::string_view address, std::string_view zone);

// The name to look `domain` up in the domain list `zone`: "domain.zone".
std::optional<std::string> domain_query(std::string_view domain, std::string_view zone);

// An address that can appear as a sender on the internet: not loopback, private (RFC 1918,
// fc00::/7), shared (100.64/10), link-local, unspecified, multicast or broadcast.
bool is_public_address(std::string_view address);

struct Classified {
  Verdict verdict = Verdict::unknown;
  std::vector<std::string> codes;  // the A records of the answer, as they came
  std::string why;                 // for unknown: what the answer was, for people
};

// The return codes `zone` gives for queries it refuses or cannot answer, beyond those every
// list is held to (127.0.0.1, and Spamhaus's 127.255.255.252/254/255, which mirrors and
// resellers of its data give too): 127.0.1.255 of Spamhaus's domain lists.
std::vector<std::string> zone_error_codes(std::string_view zone);

// What the answer to the A query of a list means: NXDOMAIN is clean; A records all within
// 127.0.0.2 to 127.255.254.255 and none an error code are a listing (lists code their
// sublists above 127.0.0.x too: Spamhaus's DBL answers 127.0.1.x); anything else (a timeout,
// SERVFAIL, REFUSED, NODATA, an error code or 127.255.255.0/24, an address outside
// 127.0.0.0/8, 127.0.0.0) is unknown.
Classified classify(std::string_view zone, const Answer& a);

// The TXT reason of a listing, one line of printable ASCII, at most kMaxReason bytes (TXT
// records joined by " / "); empty when the answer has none.
inline constexpr std::size_t kMaxReason = 255;
std::string listing_reason(const Answer& txt);

}  // namespace mc::proto::dns
