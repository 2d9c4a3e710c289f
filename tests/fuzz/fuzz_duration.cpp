// parse_duration on arbitrary text, against a reference reading of the grammar: one or more
// terms of 1 to 9 digits and a unit (ms, s, m, h, d), summed left to right; past kMaxDuration the
// text is refused as too long.
//
// Asserts beyond "no crash" (and no overflow, which UBSan would report): parse_duration accepts
// exactly what the reference accepts, with the same value, which is >= 0 and <= kMaxDuration;
// too_long is set exactly when the sum passed kMaxDuration; and an accepted value written by
// format_duration parses back to itself.
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "codec/time.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using std::chrono::milliseconds;

enum class Verdict { accepted, refused, too_long };

// Totals in a 128-bit integer, so the reference itself cannot overflow.
Verdict reference(const std::string& text, __int128& total) {
  const __int128 max = milliseconds(mc::kMaxDuration).count();
  total = 0;
  if (text.empty()) return Verdict::refused;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits = 0;
    __int128 n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (++digits <= 9) n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (digits == 0 || digits > 9) return Verdict::refused;
    std::string unit;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) unit += text[i++];
    if (unit == "ms") {
      total += n;
    } else if (unit == "s") {
      total += n * 1000;
    } else if (unit == "m") {
      total += n * 60'000;
    } else if (unit == "h") {
      total += n * 3'600'000;
    } else if (unit == "d") {
      total += n * 86'400'000;
    } else {
      return Verdict::refused;
    }
    if (total > max) return Verdict::too_long;
  }
  return Verdict::accepted;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  milliseconds out{-1};
  bool too_long = false;
  const bool ok = mc::parse_duration(text, out, &too_long);

  __int128 total = 0;
  const Verdict want = reference(text, total);
  check(ok == (want == Verdict::accepted),
        ok ? "accepted what the grammar refuses" : "refused what the grammar accepts", text);
  check(too_long == (want == Verdict::too_long), "too_long set wrongly", text);
  if (!ok) return 0;
  check(out.count() >= 0 && out <= milliseconds(mc::kMaxDuration), "duration out of range", text);
  check(out.count() == total, "duration differs from the sum of its terms", text);

  const std::string again = mc::format_duration(out);
  milliseconds back{-1};
  check(mc::parse_duration(again, back) && back == out, "format_duration does not parse back",
        again);
  return 0;
}
