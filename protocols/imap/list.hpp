// LIST data in (RFC 3501 7.2.2, RFC 5258 extended data, RFC 6154 SPECIAL-USE flags), the LIST
// command out, and the choice of the Junk mailbox among the listed ones; STATUS data in (RFC
// 3501 7.2.4, as a STATUS command or a NOTIFY of RFC 5465 sends it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/imap/command.hpp"
#include "protocols/imap/response.hpp"

namespace mc::proto::imap::detail {

// A LIST of a big account is no reason to grow memory without bound: entries beyond this many
// are not kept.
inline constexpr std::size_t kMaxListed = 1000;

struct ListEntry {
  std::vector<std::string> flags;  // as sent, e.g. "\\Junk", "\\HasNoChildren", "\\Noselect"
  char delimiter = 0;              // 0 for NIL
  std::string name;                // quoted/literal decoded; modified UTF-7 kept as sent
  bool has_flag(std::string_view flag) const;  // case-insensitive
};

// One "* LIST (flags) delim name" untagged response (Response.status == "LIST", Response.text is
// what follows, literals in Response.literals). False when malformed. Extended data after the
// name (RFC 5258 "(CHILDINFO ...)") is allowed and ignored.
bool parse_list(const Response& r, ListEntry& out);

// One "* STATUS name (MESSAGES 1 UIDNEXT 2)" untagged response; false when malformed.
struct StatusData {
  std::string name;
  std::uint32_t uidnext = 0;  // 0 when not given
};
bool parse_status(const Response& r, StatusData& out);

// `LIST "" "*" RETURN (SPECIAL-USE)` when the server has SPECIAL-USE, else `LIST "" "*"`.
std::vector<Chunk> list_command(CommandBuilder cmd, bool special_use);

// The Junk mailbox among `listed`: the first selectable entry with \Junk; else `file_name` when
// not empty (whether or not listed); else the first selectable entry whose name, or its level
// right under INBOX (INBOX.Junk, INBOX/Spam), matches a common name case-insensitively: Junk,
// Spam, Junk E-mail, Junk Email, Bulk Mail, [Gmail]/Spam. Never `watched` itself (compared as
// IMAP compares INBOX: case-insensitively); a `file_name` that is `watched` counts as not given.
// std::nullopt when none fits.
struct JunkChoice {
  std::string name;
  std::string how;  // "special-use", "file", "name"
};
std::optional<JunkChoice> choose_junk(const std::vector<ListEntry>& listed,
                                      std::string_view file_name, std::string_view watched);

// Whether `a` and `b` name the same mailbox: equal, or both INBOX in any letter case.
bool same_mailbox(std::string_view a, std::string_view b);

}  // namespace mc::proto::imap::detail
