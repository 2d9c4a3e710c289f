// The MIME structure of a message (RFC 2045, 2046): its Content-Type, the parts of a multipart
// body and their transfer decoding. Made for reading what a mail platform sends back (delivery
// reports), so it is lenient where real mail is sloppy and bounded on any input: a body whose
// last boundary is missing (a message cut at a size limit) ends at the end of the text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc::proto::mime {

struct ContentType {
  std::string type = "text";  // lower case; "text/plain" when the field is missing or broken
  std::string subtype = "plain";
  std::vector<std::pair<std::string, std::string>> params;  // names lower case, values unquoted

  bool is(std::string_view t, std::string_view s) const;
  std::string param(std::string_view name) const;  // "" when absent; name case-insensitive
};

// One Content-Type field value, unfolded: "multipart/report; report-type=delivery-status;
// boundary="x"". Comments are skipped, quoted values unquoted.
ContentType parse_content_type(std::string_view value);

// The header block and the body of a message or body part: the body starts after the first
// empty line (CRLF or LF); without one, everything is header.
struct Entity {
  std::string_view header;
  std::string_view body;
};
Entity split_entity(std::string_view text);

// The body as its Content-Transfer-Encoding says: "base64" (characters outside the alphabet are
// skipped, a cut final group is dropped), "quoted-printable" (soft line breaks removed, a broken
// escape kept as it stands), anything else unchanged.
std::string decode_transfer(std::string_view body, std::string_view encoding);

// The parts between the boundary delimiter lines of a multipart body (preamble and epilogue
// left out), each without the line break that belongs to the delimiter after it.
std::vector<std::string_view> split_multipart(std::string_view body, std::string_view boundary);

// A part that is not itself multipart, its content transfer-decoded. message/rfc822 parts are
// leaves too: the returned message is read, not descended into.
struct Leaf {
  ContentType type;
  std::string_view header;
  std::string content;
};

struct Message {
  ContentType type;  // of the message itself
  std::string_view header;
  std::vector<Leaf> leaves;  // in order; a message that is not multipart is its own one leaf
};

// Nested multiparts are followed kMaxDepth levels deep and at most kMaxParts leaves are kept.
inline constexpr int kMaxDepth = 6;
inline constexpr std::size_t kMaxParts = 64;

Message parse_message(std::string_view text);

}  // namespace mc::proto::mime
