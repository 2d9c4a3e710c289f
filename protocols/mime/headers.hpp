// Header fields of a message's header block (RFC 5322 section 2.2): every field of one name,
// unfolded, in the order they stand (the topmost, i.e. the last added, first).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mc::proto::mime {

// The values of every field named `name` (case-insensitive, without the colon), each unfolded
// (CRLF or LF followed by white space becomes one space) and without the white space around
// it. Reading stops at the first empty line: the body is not headers.
std::vector<std::string> header_fields(std::string_view block, std::string_view name);

bool iequals(std::string_view a, std::string_view b);

}  // namespace mc::proto::mime
