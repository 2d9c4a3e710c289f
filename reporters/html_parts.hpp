// Internal to the HTML reporter: the text helpers its parts share, and the parts that render a
// scenario's steps (html_steps.cpp). Not for other reporters.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include "reporters/markup.hpp"
#include "results/result.hpp"

namespace mc::html {

using markup::escape;

inline std::string attr(std::string_view text) {
  return escape(text, true);
}

inline std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// Durations on bars and in tables are milliseconds, with as many decimals as are meaningful.
inline std::string ms(double s) {
  const double v = s * 1000.0;
  if (std::fabs(v) < 1) return fmt("%.2f ms", v);
  if (std::fabs(v) < 1000) return fmt("%.1f ms", v);
  return fmt("%.0f ms", v);
}

// Durations in tables and headers: milliseconds below a second, then seconds, then minutes.
inline std::string human(double s) {
  if (s < 1) return ms(s);
  if (s < 60) return fmt("%.2f s", s);
  const long long whole = std::llround(s);
  char buf[64];
  if (whole < 3600)
    std::snprintf(buf, sizeof buf, "%lld min %02lld s", whole / 60, whole % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", whole / 3600, whole % 3600 / 60);
  return buf;
}

// Thresholds are configured as durations like "10s"; they read best that way.
inline std::string seconds_text(double s) {
  if (s < 1) return fmt("%.0f ms", s * 1000.0);
  if (s == std::floor(s)) return fmt("%.0f s", s);
  return fmt("%.3g s", s);
}

inline std::string pct(double v) {
  return fmt("%.3f%%", std::clamp(v, 0.0, 100.0));
}

inline std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

inline std::string badge(std::string_view cls, std::string_view text) {
  return "<span class=\"badge " + attr(cls) + "\">" + escape(upper(text)) + "</span>";
}
inline std::string badge(std::string_view status) {
  return badge(status, status);
}

// A step's status as a CSS class: ok, warning, critical, failed, skipped (anything else: other).
inline std::string step_class(const std::string& status) {
  for (const char* known : {"ok", "warning", "critical", "failed", "skipped"})
    if (status == known) return status;
  return "other";
}

// The waterfall of a scenario's steps and phases on one time axis, with its legend.
void waterfall(std::string& h, const ScenarioResult& sc);

// The table of a scenario's steps: server, TLS, certificate and the step's details.
void steps_table(std::string& h, const ScenarioResult& sc);

}  // namespace mc::html
