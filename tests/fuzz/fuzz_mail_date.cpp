// The RFC 5322 date parsers of protocols/mail_date.hpp on arbitrary text.
//
// Asserts beyond "no crash":
// - a date parse_rfc5322_date accepts lies between the years 1000 and 9999 (the years it can
//   read, two- and three-digit ones mapped forward), widened by the largest zone offset;
// - written back as "Thu, 23 Nov 2026 12:00:00 +0000" (by gmtime, not by the parser's own
//   arithmetic), it parses to the same second;
// - topmost_received_date of a Received: field, plain or folded over lines, ending "; TEXT" is
//   parse_rfc5322_date(TEXT), and it accepts nothing without a Received: field.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/mail_date.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;

constexpr std::int64_t kYear1000 = -30610224000;        // 1000-01-01T00:00:00Z
constexpr std::int64_t kYear10000 = 253402300800;       // 10000-01-01T00:00:00Z
constexpr std::int64_t kMaxZone = (99 * 60 + 99) * 60;  // "+9999"

void check_range(std::int64_t t, std::string_view text) {
  check(t >= kYear1000 - kMaxZone && t <= kYear10000 + kMaxZone,
        "date outside the years 1000..9999", text);
}

std::optional<std::string> written_back(std::int64_t t) {
  const std::time_t secs = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr) return std::nullopt;
  const int year = tm.tm_year + 1900;
  if (year < 1000 || year > 9999) return std::nullopt;
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], year, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return std::string(buf);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<std::int64_t> date = mc::proto::parse_rfc5322_date(text);
  if (date) {
    check_range(*date, text);
    if (const auto again = written_back(*date)) {
      const auto reparsed = mc::proto::parse_rfc5322_date(*again);
      check(reparsed == date, "a date written back parses to another time",
            std::string(text) + " -> " + *again);
    }
  }

  if (const auto received = mc::proto::topmost_received_date(text)) {
    check_range(*received, text);
    check(mc::fuzz::icontains(text, "Received:"), "a received date without a Received: field",
          text);
  }

  if (text.find_first_of(";\n") == std::string_view::npos) {
    const std::string plain = "Received: from mx.example.test by store.example.test; " +
                              std::string(text) + "\r\nSubject: x\r\n";
    check(mc::proto::topmost_received_date(plain) == date,
          "the Received: field's date is not its text after ';'", text);
    const std::string folded =
        "Return-Path: <a@example.test>\r\nReceived: from mx\r\n\tby store"
        "\r\n\t(LMTP) id 7;\r\n " +
        std::string(text) + "\r\nReceived: from elsewhere; " + "Mon, 1 Jan 2001 00:00:00 +0000\r\n";
    check(mc::proto::topmost_received_date(folded) == date,
          "a folded Received: field's date is not its text after ';'", text);
  }
  return 0;
}
