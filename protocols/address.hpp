// RFC 5321 mailbox syntax, for the addresses of MAIL FROM and RCPT TO: checked when a scenario
// file is loaded, so a CR or LF can never smuggle a command into the session.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mc::proto::smtp {

// What is wrong with `address` as the RFC 5321 Mailbox of a MAIL FROM or RCPT TO
// (local-part@domain, the local part a dot-string or quoted string, the domain host names or an
// address literal; ASCII only, since the client does not use SMTPUTF8), in words; nullopt when it
// is good.
std::optional<std::string> address_problem(std::string_view address);

}  // namespace mc::proto::smtp
