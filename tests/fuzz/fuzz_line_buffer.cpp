// LineBuffer against a reference model of the same stream. The fuzzer picks the line limit and
// a sequence of operations: feed a chunk (possibly repeated, to pass the buffer's compaction
// threshold), read lines until none is complete, or take an n-byte literal.
//
// Asserts beyond "no crash": every line returned is the next piece of the whole stream split on
// CRLF; too_long and bare_lf come exactly when the model says so (a line over the limit, an LF
// without CR before it) and never for a line within the limit, however the bytes were cut;
// take_bytes returns exactly the next n bytes; buffered() is what was fed and not consumed.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/line_buffer.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using mc::fuzz::finding;
using mc::proto::LineBuffer;
using Status = LineBuffer::Status;

const char* name(Status s) {
  switch (s) {
    case Status::line:
      return "line";
    case Status::need_more:
      return "need_more";
    case Status::too_long:
      return "too_long";
    case Status::bare_lf:
      return "bare_lf";
  }
  return "?";
}

// The specification, on the stream as a whole: the next line is everything up to the next LF,
// which must follow a CR; the line without its CRLF may be at most `max` bytes. Without an LF
// yet, the line is refused once it cannot fit any more: `max` bytes and the CR may wait for the
// LF, one byte more may not.
struct Model {
  std::size_t max;
  std::string fed;
  std::size_t consumed = 0;

  Status next_line(std::string& out) {
    const std::string_view rest = std::string_view(fed).substr(consumed);
    const std::size_t lf = rest.find('\n');
    if (lf == std::string_view::npos)
      return rest.size() > max + 1 ? Status::too_long : Status::need_more;
    std::string_view line = rest.substr(0, lf);
    if (line.empty() || line.back() != '\r') return Status::bare_lf;
    line.remove_suffix(1);
    if (line.size() > max) return Status::too_long;
    out = line;
    consumed += lf + 1;
    return Status::line;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::size_t max = in.ConsumeIntegralInRange<std::size_t>(0, 80);
  LineBuffer buf(max);
  Model model{max, {}, 0};

  while (in.remaining_bytes() > 0) {
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
      case 0:
      case 1: {  // feed, then read every complete line
        const std::string chunk =
            in.ConsumeBytesAsString(in.ConsumeIntegralInRange<std::size_t>(0, 64));
        const std::size_t repeat =
            in.ConsumeBool() ? in.ConsumeIntegralInRange<std::size_t>(1, 2048) : 1;
        for (std::size_t i = 0; i < repeat; ++i) {
          buf.feed(chunk);
          model.fed += chunk;
        }
        for (;;) {
          std::string got, want;
          const Status g = buf.next_line(got);
          const Status w = model.next_line(want);
          if (g != w) {
            finding(std::string("next_line said ") + name(g) + ", the model " + name(w),
                    std::string_view(model.fed).substr(model.consumed, 200));
          }
          if (g == Status::line) {
            check(got == want, "line differs from the reference split on CRLF",
                  "got \"" + got + "\" want \"" + want + "\"");
          }
          check(buf.buffered() == model.fed.size() - model.consumed,
                "buffered() is not what was fed and not consumed");
          if (g == Status::too_long || g == Status::bare_lf) return 0;  // the session ends
          if (g == Status::need_more) break;
        }
        break;
      }
      case 2: {  // an IMAP literal of n bytes
        const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 128);
        std::string got;
        const bool ok = buf.take_bytes(n, got);
        const bool enough = model.fed.size() - model.consumed >= n;
        check(ok == enough, "take_bytes disagrees with what is buffered");
        if (ok) {
          check(got == model.fed.substr(model.consumed, n), "take_bytes returned other bytes");
          model.consumed += n;
        }
        check(buf.buffered() == model.fed.size() - model.consumed,
              "buffered() is not what was fed and not consumed");
        break;
      }
      default: {  // one more read, as after a take_bytes
        std::string got, want;
        const Status g = buf.next_line(got);
        const Status w = model.next_line(want);
        check(g == w, std::string("next_line said ") + name(g) + ", the model " + name(w));
        if (g == Status::line) check(got == want, "line differs from the reference split");
        if (g == Status::too_long || g == Status::bare_lf) return 0;
        break;
      }
    }
  }
  return 0;
}
