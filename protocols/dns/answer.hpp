// A DNS answer as mailcanary reads it: the outcome of one query (A, AAAA, MX or TXT) and its
// records. Parsing the raw reply is sans-I/O, so unit tests feed it packet fixtures; the
// queries themselves go through c-ares in transport/dns.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mc::proto::dns {

enum class Type { a, aaaa, mx, txt };

enum class Status {
  ok,        // NOERROR with records of the type asked for
  nodata,    // NOERROR without them (the name exists)
  nxdomain,  // the name does not exist
  servfail,  // SERVFAIL
  refused,   // REFUSED
  timeout,   // no answer within the query's timeout or before the deadline
  error,     // anything else (a malformed reply, a network error); `error` says what
};

struct Mx {
  std::uint16_t preference = 0;
  std::string host;  // without the trailing dot
};

struct Answer {
  Status status = Status::error;
  std::string error;                   // what went wrong, for messages; empty when ok
  std::vector<std::string> addresses;  // A or AAAA records, in text form ("192.0.2.7", "::1")
  std::vector<Mx> mx;                  // in the order of the reply
  std::vector<std::string> txt;        // one entry per TXT record, its strings joined
};

// Reads a raw reply to a query of `type`: the rcode gives the status, the records the fields.
Answer parse(Type type, const unsigned char* data, std::size_t size);

// "ok", "nodata", "nxdomain", "servfail", "refused", "timeout", "error"; "A", "AAAA", "MX", "TXT".
const char* to_string(Status status);
const char* to_string(Type type);

}  // namespace mc::proto::dns
