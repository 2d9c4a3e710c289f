// IMAP response framing: lines and {n} literals reassembled into whole responses, with hard
// limits on each line, each literal and the response as a whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/line_buffer.hpp"

namespace mc::proto::imap {

// One response may be many lines and literals; this bounds all of it together, so a server
// cannot grow memory by chaining literals (README "Limits").
inline constexpr std::size_t kMaxResponseBytes = 2 * kMaxLiteralBytes;

// One complete server response (including any {n} literals); exposed for tests.
struct Response {
  enum class Kind { tagged, untagged, continuation };
  Kind kind = Kind::untagged;
  std::string tag;           // tagged only
  std::string status;        // OK/NO/BAD/BYE/PREAUTH, or for untagged data the upper-cased keyword
  std::uint32_t number = 0;  // "* 12 EXISTS" / "* 3 FETCH" message number
  bool numbered = false;     // the response had a number, zero included ("* 0 RECENT")
  std::string code;          // bracketed response code without brackets
  // The rest of the line: human text, or the data of untagged data responses. Lines joined by a
  // literal keep its "{n}" marker in place, so "(UID 7 BODY[HEADER] {342})" says where each
  // payload of `literals` belongs.
  std::string text;
  std::vector<std::string> literals;  // payloads of {n} literals in order
};

// Reassembles responses from lines and literals. Keeps the partial response between calls, so
// it can be fed any split of the bytes. After any status but complete/need_more, the session
// must end.
class ResponseReader {
 public:
  enum class Status {
    complete,
    need_more,
    too_long,  // one line over kMaxLineBytes
    bare_lf,
    literal_too_large,   // one {n} over kMaxLiteralBytes
    response_too_large,  // lines and literals together over kMaxResponseBytes
    malformed,
  };
  Status next(LineBuffer& in, Response& out);

 private:
  Status begin(std::string_view line);
  Status resume(std::string_view line);
  Status expect_literal_after(std::string_view line);

  Response partial_;
  bool started_ = false;
  std::optional<std::size_t> literal_;  // size of the literal that must come next
  std::size_t size_ = 0;                // bytes of partial_ so far, against kMaxResponseBytes
};

namespace detail {
// A response as one transcript line: "* 3 EXISTS", "a4 OK [READ-WRITE] done", "+ ready".
std::string render(const Response& r);
}  // namespace detail

}  // namespace mc::proto::imap
