// Received: trace fields (RFC 5321 section 4.4, RFC 5322 section 3.6.7), one per hop, the
// newest on top: the path a delivered message took, what each hop called itself, the protocol
// and TLS it was received with, and when.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc::proto::mime {

// One Received field. Values are as the hop wrote them, printable ASCII (any other byte reads
// as '?') and at most kMaxReceivedValue bytes; "" where the field has no such clause.
struct Received {
  std::string from;  // the host it got the message from, as it names it: "mail.example.com"
  std::string by;    // the host that wrote the field
  std::string via;   // Exchange's "Frontend Transport"
  std::string with;  // the protocol: "ESMTPSA", "LMTP", "Microsoft SMTP Server", "mapi"
  std::string id;    // the hop's queue id
  // true where the field says TLS (a TLS comment, `with ESMTPS`...), false where it names a
  // protocol without TLS (`with ESMTP`, `with LMTP`), nullopt where it says neither.
  std::optional<bool> tls;
  std::string tls_version;         // as OpenSSL names it: "TLSv1.3", "TLSv1.2"; "" where not said
  std::string tls_cipher;          // "TLS_AES_256_GCM_SHA384"; "" where not said
  std::optional<std::int64_t> at;  // the date after the last ';', Unix seconds
};

inline constexpr std::size_t kMaxReceivedValue = 255;

// A field value (unfolded, without "Received:"). Comments are read for TLS: Postfix's
// "(using TLSv1.3 with cipher ...)", "(version=TLS1_2, cipher=...)" of Exchange, Gmail and
// sendmail, Exim's "(TLS1.3) tls CIPHER". nullopt when it is no trace field: no clause and no
// date, a clause keyword without a value, words before the first clause, unbalanced comments.
// A date that is missing or does not parse leaves `at` empty; the field still counts.
std::optional<Received> parse_received(std::string_view value);

struct Hop {
  Received received;
  // Seconds since the latest earlier hop that has a date (the first hop: since `start`);
  // nullopt when this hop or every one before it (and the start) has none. Whole seconds.
  std::optional<std::int64_t> delay_s;
  bool skew = false;  // earlier than that hop: the two clocks disagree
};

struct Hops {
  std::vector<Hop> hops;  // oldest first: the bottom field is the first hop
  int unparsed = 0;       // Received fields that were no trace field, skipped
};

// Received fields read, at most: Postfix bounces a message after 50 hops; more is a loop or
// an attack, and every hop is a metric series. Fields beyond it (the oldest) count as unparsed.
inline constexpr std::size_t kMaxHops = 100;

// The hops of a header block. `start` (Unix seconds) is when the message set out; without it,
// the block's Date: field.
Hops received_hops(std::string_view header_block, std::optional<std::int64_t> start = std::nullopt);

}  // namespace mc::proto::mime
