// Dates in mail headers (RFC 5322 section 3.3), for the time a late probe really reached the
// mailbox: the date of the topmost Received: header, which the final hop (the LDA or LMTP
// server) stamps when it stores the message.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mc::proto {

// Seconds since the Unix epoch of "[Mon, ]23 Nov 2026 12:00:00 +0000" (seconds optional, the
// obsolete zone names UT/GMT/Z/EST.. accepted); nullopt when it is not such a date.
std::optional<std::int64_t> parse_rfc5322_date(std::string_view text);

// The date after the last ';' of the first Received: field of a header block (folded lines
// unfolded); nullopt when there is none or it does not parse.
std::optional<std::int64_t> topmost_received_date(std::string_view header_block);

}  // namespace mc::proto
