#include "codec/time.hpp"

#include <cctype>
#include <ctime>

namespace mc {

std::string iso8601(Wall::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms.count() % 1000));
  return out;
}

std::string rfc5322_date(Wall::time_point t) {
  const std::time_t secs = Wall::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  // Day and month names are fixed English tokens in RFC 5322, independent of locale.
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

bool parse_duration(const std::string& text, std::chrono::milliseconds& out, bool* too_long) {
  if (too_long != nullptr) *too_long = false;
  if (text.empty()) return false;
  constexpr long long kMaxMs = std::chrono::milliseconds(kMaxDuration).count();
  long long total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    long long n = 0;
    std::size_t digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i] - '0');
      if (++digits > 9) return false;
      ++i;
    }
    std::string unit;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) unit += text[i++];
    if (unit == "ms")
      total_ms += n;
    else if (unit == "s")
      total_ms += n * 1000;
    else if (unit == "m")
      total_ms += n * 60'000;
    else if (unit == "h")
      total_ms += n * 3'600'000;
    else if (unit == "d")
      total_ms += n * 86'400'000;
    else
      return false;
    // Each term is below 10^9 days, so one addition cannot overflow before this check.
    if (total_ms > kMaxMs) {
      if (too_long != nullptr) *too_long = true;
      return false;
    }
  }
  out = std::chrono::milliseconds(total_ms);
  return true;
}

std::string format_duration(std::chrono::milliseconds d) {
  const long long ms = d.count();
  // parse_duration takes at most 9 digits a term: a longer one is written as two terms.
  if (ms % 1000 != 0 && ms >= 1'000'000'000)
    return format_duration(std::chrono::milliseconds(ms - ms % 1000)) + std::to_string(ms % 1000) +
           "ms";
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  if (ms % 60'000 != 0 || ms == 0) return std::to_string(ms / 1000) + "s";
  if (ms % 3'600'000 != 0) return std::to_string(ms / 60'000) + "m";
  return std::to_string(ms / 3'600'000) + "h";
}

}  // namespace mc
