// Small text and UID-set helpers that the IMAP parts share. Internal to protocols/imap.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace mc::proto::imap::detail {

inline constexpr std::string_view kTokenHeader = "X-Mailcanary-Token";

// ---- Small text helpers ------------------------------------------------------------------

inline char upper(char c) {
  return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

inline std::string to_upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), upper);
  return out;
}

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return upper(x) == upper(y); });
}

inline bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

inline bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

inline bool parse_u32(std::string_view s, std::uint32_t& out) {
  if (!all_digits(s) || s.size() > 10) return false;
  std::uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  if (v > std::numeric_limits<std::uint32_t>::max()) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

// Removes and returns the text up to the next space (and the space itself).
inline std::string_view take_word(std::string_view& s) {
  const std::size_t sp = s.find(' ');
  const std::string_view word = s.substr(0, sp);
  s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
  return word;
}

inline std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> words;
  while (!s.empty()) {
    const std::string_view w = take_word(s);
    if (!w.empty()) words.push_back(w);
  }
  return words;
}

inline std::string_view trim(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// Control characters of a non-secret literal would break the one-line transcript.
inline std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

inline std::vector<std::uint32_t> sorted_unique(std::vector<std::uint32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  v.erase(std::remove(v.begin(), v.end(), 0u), v.end());  // UID 0 names no message
  return v;
}

inline std::vector<std::uint32_t> intersect(const std::vector<std::uint32_t>& a,
                                            const std::vector<std::uint32_t>& b) {
  std::vector<std::uint32_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

inline std::vector<std::uint32_t> difference(const std::vector<std::uint32_t>& a,
                                             const std::vector<std::uint32_t>& b) {
  std::vector<std::uint32_t> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// A sorted, duplicate-free UID list as an IMAP sequence set: "7,9:11".
inline std::string uid_set(const std::vector<std::uint32_t>& uids) {
  std::string out;
  for (std::size_t i = 0; i < uids.size();) {
    std::size_t j = i;
    while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(uids[i]);
    if (j > i) out += ':' + std::to_string(uids[j]);
    i = j + 1;
  }
  return out;
}

inline std::string uid_list(const std::vector<std::uint32_t>& uids) {
  std::string out;
  for (std::uint32_t u : uids) out += (out.empty() ? "" : " ") + std::to_string(u);
  return out;
}

inline bool has(const std::vector<std::string>& capabilities, std::string_view name) {
  return std::any_of(capabilities.begin(), capabilities.end(),
                     [&](const std::string& c) { return iequals(c, name); });
}

}  // namespace mc::proto::imap::detail
