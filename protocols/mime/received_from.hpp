// The address a Received: field's `from` clause gives for the host that handed the message on
// (its TCP-info, RFC 5321 section 4.4): what a block list is asked about the sending server.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc::proto::mime {

// The address of one field value (unfolded, without "Received:"), canonical; nullopt where the
// `from` clause names none. An address the receiving MTA wrote in a comment ("(host [192.0.2.7])"
// of Postfix, Gmail and sendmail, "([192.0.2.7] helo=x)" of Exim, "(192.0.2.7)" of qmail,
// Exchange's bare IPv6) comes before the sender's own claim in the clause's first word, which
// it may forge; a `helo=` value is the sender's claim too, and never read.
std::optional<std::string> received_from_address(std::string_view value);

// The sending server of a delivered message: the public address (dns::is_public_address) in
// the oldest Received field that is no authenticated submission (RFC 3848's ESMTPA, ESMTPSA,
// ...: the probe's own hop, from its own address). The oldest, not the newest: the hops after
// the border MX of the recipient's platform may be public too (Microsoft 365's own IPv6
// addresses), those before it, within the sender's platform, are mostly private or loopback.
// At most kMaxHops fields are read.
std::optional<std::string> sending_address(std::string_view header_block);

}  // namespace mc::proto::mime
