// The one line layer shared by SMTP, IMAP and POP3: bytes in, complete CRLF lines (or IMAP
// literal payloads) out. Strict: a bare LF is a protocol error, and a line longer than the limit
// is refused before it is buffered whole, so a hostile server cannot grow memory without bound.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mc::proto {

// Documented hard limits (README "Limits").
inline constexpr std::size_t kMaxLineBytes = 8192;                // one reply line, CRLF excluded
inline constexpr std::size_t kMaxLiteralBytes = 4 * 1024 * 1024;  // one IMAP {n} literal

class LineBuffer {
 public:
  enum class Status { line, need_more, too_long, bare_lf };

  explicit LineBuffer(std::size_t max_line = kMaxLineBytes) : max_line_(max_line) {}

  void feed(std::string_view bytes) { buf_.append(bytes); }

  // Takes the next complete line (without CRLF) into `out`. After too_long or bare_lf the buffer
  // is in an error state and the session must end.
  Status next_line(std::string& out);

  // Takes exactly n raw bytes (an IMAP literal) into `out`; false while fewer are buffered.
  bool take_bytes(std::size_t n, std::string& out);

  // Bytes received but not yet consumed: must be zero when STARTTLS begins (CVE-2021-22947).
  std::size_t buffered() const { return buf_.size() - pos_; }

 private:
  void compact();

  std::string buf_;
  std::size_t pos_ = 0;
  std::size_t max_line_;
};

}  // namespace mc::proto
