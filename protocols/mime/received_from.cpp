#include "protocols/mime/received_from.hpp"

#include <algorithm>
#include <array>

#include "protocols/dns/dnsbl.hpp"
#include "protocols/mime/headers.hpp"
#include "protocols/mime/received.hpp"

namespace mc::proto::mime {
namespace {

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// An address literal's text: "IPv6:2001:db8::1" (RFC 5321 section 4.1.3) without its tag.
std::optional<std::string> literal(std::string_view s) {
  if (s.size() > 5 && iequals(s.substr(0, 5), "IPv6:")) s.remove_prefix(5);
  return dns::canonical_address(s);
}

// RFC 3848 and RFC 6531: the protocol of a client that authenticated.
bool authenticated(const std::string& with) {
  static constexpr std::array<const char*, 10> kNames = {
      "ESMTPA", "ESMTPSA",   "UTF8SMTPA",  "UTF8SMTPSA", "LMTPA",
      "LMTPSA", "UTF8LMTPA", "UTF8LMTPSA", "SMTPA",      "SMTPSA"};
  return std::any_of(kNames.begin(), kNames.end(), [&](const char* n) { return iequals(with, n); });
}

struct Found {
  std::optional<std::string> comment_literal;  // "[192.0.2.7]" inside a comment
  std::optional<std::string> comment_word;     // "192.0.2.7" or "2001:db8::7" inside a comment
  std::optional<std::string> claimed;          // "[192.0.2.7]" as the clause's first word
};

}  // namespace

std::optional<std::string> received_from_address(std::string_view v) {
  std::size_t i = 0;
  while (i < v.size() && space(v[i])) ++i;
  if (v.size() - i < 5 || !iequals(v.substr(i, 4), "from") || !space(v[i + 4])) return std::nullopt;
  i += 5;
  Found f;
  int depth = 0;
  std::string word;
  // A word ends: at depth 0 "by" ends the clause; inside a comment an address is a candidate.
  auto end_word = [&]() -> bool {
    if (word.empty()) return false;
    std::string w;
    w.swap(word);
    if (depth == 0) return iequals(w, "by") || iequals(w, "with") || iequals(w, "id");
    if (w.size() >= 5 && iequals(std::string_view(w).substr(0, 5), "helo=")) return false;
    if (!f.comment_word)
      if (auto a = dns::canonical_address(w)) f.comment_word = *a;
    return false;
  };
  for (; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '\\' && depth > 0 && i + 1 < v.size()) {
      word += v[++i];
      continue;
    }
    if (c == '[') {
      const bool helo = word.size() >= 5 && iequals(std::string_view(word).substr(0, 5), "helo=");
      const std::size_t close = v.find(']', i);
      if (close == std::string_view::npos) break;
      const auto a = literal(v.substr(i + 1, close - i - 1));
      if (a && !helo) {
        if (depth > 0 && !f.comment_literal) f.comment_literal = *a;
        if (depth == 0 && !f.claimed) f.claimed = *a;
      }
      word.clear();
      i = close;
      continue;
    }
    if (c == '(' || c == ')' || c == ';' || c == ',' || space(c)) {
      if (end_word()) break;
      if (c == ';' && depth == 0) break;
      if (c == '(') ++depth;
      if (c == ')' && depth > 0) --depth;
      continue;
    }
    word += c;
  }
  end_word();
  if (f.comment_literal) return f.comment_literal;
  if (f.comment_word) return f.comment_word;
  return f.claimed;
}

std::optional<std::string> sending_address(std::string_view header_block) {
  const auto fields = header_fields(header_block, "Received");
  std::optional<std::string> oldest;
  for (std::size_t i = 0; i < fields.size() && i < kMaxHops; ++i) {
    const auto r = parse_received(fields[i]);
    if (r && authenticated(r->with)) continue;
    if (auto a = received_from_address(fields[i]); a && dns::is_public_address(*a)) oldest = a;
  }
  return oldest;
}

}  // namespace mc::proto::mime
