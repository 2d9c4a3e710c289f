// FETCH data in: the UID and header block of "(UID 7 BODY[HEADER] {342})", and whether a
// header block really carries a probe's token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/imap/response.hpp"

namespace mc::proto::imap::detail {

struct FetchData {
  std::optional<std::uint32_t> uid;
  std::optional<std::string> header;  // BODY[HEADER] or BODY[HEADER.FIELDS (...)]
  std::optional<std::string> full;    // BODY[] or BODY[]<0>: the message, or its first bytes
};

// False when the response is not a well-formed FETCH data list.
bool parse_fetch(const Response& r, FetchData& out);

// A search hit only counts when a real X-Mailcanary-Token field holds exactly `token`: server
// HEADER searches match substrings, and the token text may sit in another field.
bool carries_token(std::string_view header, std::string_view token);

}  // namespace mc::proto::imap::detail
