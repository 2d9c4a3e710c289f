// POP3 replies (RFC 1939, RFC 2449): a status line "+OK ..." or "-ERR ...", optionally with an
// extended response code in brackets ("-ERR [IN-USE] ..."), or during AUTH a continuation
// "+ base64" (RFC 5034); after a +OK to a multi-line command, lines up to a lone "." with the
// byte-stuffing undone. Every byte is framed by the shared LineBuffer, and a multi-line body is
// refused past a limit, so a hostile server cannot grow memory without bound.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/line_buffer.hpp"

namespace mc::proto::pop3 {

// Documented hard limit (README "Limits"): one multi-line response, line ends included.
inline constexpr std::size_t kMaxMultilineBytes = 4 * 1024 * 1024;

struct Reply {
  enum class Kind { ok, err, continuation };
  Kind kind = Kind::ok;
  std::string code;  // the RFC 2449 extended response code without brackets ("IN-USE"), or ""
  std::string text;  // the rest of the status line (for a continuation: the base64 challenge)
  std::vector<std::string> lines;  // multi-line body, dot-unstuffed, without the final "."
  std::size_t body_bytes = 0;      // of `lines`, CRLF counted

  bool ok() const { return kind == Kind::ok; }
};

// Parses one status line; nullopt when it is neither +OK, -ERR nor a continuation.
std::optional<Reply> parse_status(std::string_view line);

// Reads one reply at a time from a LineBuffer; keeps its place across calls while bytes trickle
// in. `multiline`: after a +OK, the body up to "." belongs to the reply.
class ReplyReader {
 public:
  enum class Status { complete, need_more, too_long, too_large, bare_lf, malformed };

  Status next(LineBuffer& in, Reply& out, bool multiline);
  // The status line of the reply being read, for messages; "" before it came.
  const std::string& status_line() const { return status_line_; }

 private:
  bool in_body_ = false;
  Reply partial_;
  std::string status_line_;
};

// One line of a UIDL answer (RFC 1939 section 7): "msg unique-id".
struct UidlEntry {
  std::uint32_t number = 0;
  std::string uid;  // 1 to 70 characters 0x21..0x7E
};

// The UIDL listing; nullopt when a line is not "number uid", a number repeats, or a unique-id is
// not one of the RFC's.
std::optional<std::vector<UidlEntry>> parse_uidl(const std::vector<std::string>& lines);

// The header block of a TOP n 0 answer, lines joined with CRLF, ending with the empty line.
std::string header_block(const std::vector<std::string>& lines);

// A header block carries `token` in an X-Mailcanary-Token field of its own.
bool carries_token(std::string_view headers, std::string_view token);

}  // namespace mc::proto::pop3
