#include "protocols/smtp/policy.hpp"

#include <cstdint>
#include <vector>

#include "protocols/smtp/text.hpp"

namespace mc::proto::smtp {
namespace {

using namespace detail;

inline char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

// The words by which greylisting servers explain a deferral. Postgrey "Greylisted, see
// http://postgrey.schweikert.ch/...", milter-greylist "Greylisting in action, please come back
// in 00:05:00", rspamd "Try again later", sqlgrey "Greylisted for 5 minutes", Exim configurations
// "Greylisted - please try again in 5 minutes", Microsoft "Server busy. Please try again later".
constexpr std::string_view kGreylistWords[] = {
    "greylist",        "graylist",        "grey-list",    "gray-list",   "grey list",
    "gray list",       "try again later", "try again in", "retry later", "retry in",
    "come back later", "come back in",    "please retry", "try later",
};

// A component of an enhanced pattern: "*" or one to three digits.
bool component_ok(std::string_view c) {
  if (c == "*") return true;
  if (c.empty() || c.size() > 3) return false;
  for (char ch : c)
    if (!is_digit(ch)) return false;
  return true;
}

std::optional<std::uint64_t> digits_at(std::string_view s, std::size_t& i) {
  const std::size_t start = i;
  std::uint64_t n = 0;
  while (i < s.size() && is_digit(s[i])) {
    if (i - start >= 9) return std::nullopt;  // no delay is written with ten digits
    n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
    ++i;
  }
  if (i == start) return std::nullopt;
  return n;
}

constexpr std::uint64_t kMaxDelay = 24 * 3600;

}  // namespace

std::optional<Stage> stage_of_phase(std::string_view phase) {
  if (phase == "banner") return Stage::connect;
  if (phase == "ehlo" || phase == "ehlo_tls") return Stage::ehlo;
  if (phase == "auth") return Stage::auth;
  if (phase == "mail_from") return Stage::mail;
  if (phase == "rcpt_to") return Stage::rcpt;
  if (phase == "data") return Stage::data;
  if (phase == "message") return Stage::message;
  return std::nullopt;
}

std::optional<CodePattern> parse_code_pattern(std::string_view text, std::string& problem) {
  const auto refuse = [&](std::string why) -> std::optional<CodePattern> {
    problem = std::move(why);
    return std::nullopt;
  };
  if (text.empty() || (text[0] != '4' && text[0] != '5'))
    return refuse("a refusal's code starts with 4 (temporary) or 5 (permanent)");
  if (text.find('.') != std::string_view::npos) {
    const std::vector<std::string_view> parts = split(text, '.');
    if (parts.size() != 3 || parts[0].size() != 1 || !component_ok(parts[1]) ||
        !component_ok(parts[2]))
      return refuse(
          "an enhanced status code is class.subject.detail, each a number or *, like "
          "\"5.7.1\" or \"5.7.*\"");
    return CodePattern{std::string(text), true};
  }
  if (text.size() != 3)
    return refuse("a reply code has three characters, digits or ?, like \"550\" or \"5??\"");
  for (char c : text.substr(1))
    if (!is_digit(c) && c != '?')
      return refuse("a reply code has three characters, digits or ?, like \"550\" or \"5??\"");
  return CodePattern{std::string(text), false};
}

bool matches(const CodePattern& pattern, const ServerReply& reply) {
  if (!pattern.enhanced) {
    const std::string code = std::to_string(reply.code);
    if (code.size() != 3) return false;
    for (std::size_t i = 0; i < 3; ++i)
      if (pattern.text[i] != '?' && pattern.text[i] != code[i]) return false;
    return true;
  }
  const std::vector<std::string_view> want = split(pattern.text, '.');
  const std::vector<std::string_view> got = split(reply.enhanced, '.');
  if (got.size() != 3) return false;
  for (std::size_t i = 0; i < 3; ++i)
    if (want[i] != "*" && want[i] != got[i]) return false;
  return true;
}

std::optional<std::chrono::seconds> named_delay(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_digit(text[i])) continue;
    // A number inside a word, an address or a code ("S77714", "192.0.2.1", "4.7.1") is no delay.
    if (i > 0 && (is_letter(text[i - 1]) || is_digit(text[i - 1]) || text[i - 1] == '.' ||
                  text[i - 1] == ':')) {
      continue;
    }
    std::size_t j = i;
    const auto first = digits_at(text, j);
    if (!first) {
      while (i < text.size() && is_digit(text[i])) ++i;
      continue;
    }
    std::uint64_t seconds = 0;
    bool found = false;
    if (j < text.size() && text[j] == ':') {
      // HH:MM:SS (milter-greylist) or MM:SS
      std::vector<std::uint64_t> parts{*first};
      while (j < text.size() && text[j] == ':' && parts.size() < 3) {
        ++j;
        const std::size_t at = j;
        const auto next = digits_at(text, j);
        if (!next || j - at != 2 || *next >= 60) break;
        parts.push_back(*next);
      }
      if (parts.size() >= 2 && (j >= text.size() || !is_digit(text[j]))) {
        for (std::uint64_t p : parts) seconds = seconds * 60 + p;
        found = true;
      }
    } else if (j >= text.size() || text[j] != '.') {
      std::size_t k = j;
      while (k < text.size() && text[k] == ' ') ++k;
      std::size_t end = k;
      while (end < text.size() && is_letter(text[end])) ++end;
      const std::string unit = lower(text.substr(k, end - k));
      if (unit == "s" || unit == "sec" || unit == "secs" || unit == "second" || unit == "seconds") {
        seconds = *first;
        found = true;
      } else if (unit == "m" || unit == "min" || unit == "mins" || unit == "minute" ||
                 unit == "minutes") {
        seconds = *first * 60;
        found = true;
      } else if (unit == "h" || unit == "hour" || unit == "hours") {
        seconds = *first * 3600;
        found = true;
      }
    }
    if (found && seconds <= kMaxDelay) return std::chrono::seconds(seconds);
    i = j > i ? j - 1 : i;
  }
  return std::nullopt;
}

std::optional<Greylisting> greylisting(const ServerReply& reply) {
  if (reply.code != 450 && reply.code != 451) return std::nullopt;
  const std::string text = lower(reply.text);
  bool says_so = reply.enhanced == "4.7.1" || reply.enhanced == "4.2.0";
  for (std::string_view w : kGreylistWords)
    if (text.find(w) != std::string::npos) says_so = true;
  if (!says_so) return std::nullopt;
  return Greylisting{named_delay(reply.text)};
}

}  // namespace mc::proto::smtp
