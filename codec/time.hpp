// Durations are measured on the monotonic clock; wall-clock time is used only to label when a
// run started. A Stopwatch maps monotonic instants to offsets and to wall-clock timestamps.
#pragma once

#include <chrono>
#include <string>

namespace mc {

using Mono = std::chrono::steady_clock;
using Wall = std::chrono::system_clock;

class Stopwatch {
 public:
  Stopwatch() : mono0_(Mono::now()), wall0_(Wall::now()) {}
  Mono::time_point origin() const { return mono0_; }
  Wall::time_point wall_origin() const { return wall0_; }
  double offset_s(Mono::time_point t) const { return seconds(t - mono0_); }
  Wall::time_point wall_at(Mono::time_point t) const {
    return wall0_ + std::chrono::duration_cast<Wall::duration>(t - mono0_);
  }
  static double seconds(Mono::duration d) { return std::chrono::duration<double>(d).count(); }

 private:
  Mono::time_point mono0_;
  Wall::time_point wall0_;
};

// RFC 3339 UTC with milliseconds: 2026-11-23T12:00:00.123Z
std::string iso8601(Wall::time_point t);
// RFC 5322 Date header value in UTC: Mon, 23 Nov 2026 12:00:00 +0000
std::string rfc5322_date(Wall::time_point t);

// The longest duration anything takes: a year. Longer ones are refused, so no sum of terms
// can overflow and no deadline computed from one can either.
inline constexpr std::chrono::hours kMaxDuration{24 * 365};

// Parses "250ms", "10s", "2m", "1h", "21d", "1m30s"; false on anything else, and on anything longer
// than kMaxDuration (then *too_long is set, when given).
bool parse_duration(const std::string& text, std::chrono::milliseconds& out,
                    bool* too_long = nullptr);
std::string format_duration(std::chrono::milliseconds d);

}  // namespace mc
