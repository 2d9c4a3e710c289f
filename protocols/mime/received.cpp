#include "protocols/mime/received.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "protocols/mail_date.hpp"
#include "protocols/mime/headers.hpp"

namespace mc::proto::mime {
namespace {

struct Token {
  enum class Kind { word, comment, semicolon } kind;
  std::string_view text;  // a comment without its outer parentheses
};

bool space(char c) {
  return c == ' ' || c == '\t';
}

// Words, comments (nested, with quoted pairs) and semicolons; nullopt when a comment, a quoted
// string or an angle address is not closed, or a ')' closes nothing.
std::optional<std::vector<Token>> tokens(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (space(c)) {
      ++i;
    } else if (c == ';') {
      out.push_back({Token::Kind::semicolon, s.substr(i, 1)});
      ++i;
    } else if (c == ')') {
      return std::nullopt;
    } else if (c == '(') {
      int depth = 0;
      const std::size_t start = i;
      for (; i < s.size(); ++i) {
        if (s[i] == '\\') {
          ++i;
        } else if (s[i] == '(') {
          ++depth;
        } else if (s[i] == ')' && --depth == 0) {
          break;
        }
      }
      if (i >= s.size()) return std::nullopt;
      out.push_back({Token::Kind::comment, s.substr(start + 1, i - start - 1)});
      ++i;
    } else {
      const std::size_t start = i;
      while (i < s.size() && !space(s[i]) && s[i] != '(' && s[i] != ')' && s[i] != ';') {
        const char open = s[i];
        if (open == '"' || open == '<') {
          const char close = open == '"' ? '"' : '>';
          for (++i; i < s.size() && s[i] != close; ++i)
            if (open == '"' && s[i] == '\\') ++i;
          if (i >= s.size()) return std::nullopt;
        }
        ++i;
      }
      out.push_back({Token::Kind::word, s.substr(start, i - start)});
    }
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Printable ASCII, bounded: values go into documents, tables and HTML as they are.
std::string clean(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxReceivedValue)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

// "TLSv1.3", "TLS1_3", "TLS1.3", "tlsv1.2", "TLSv1", "SSLv3" as OpenSSL names them; "" for
// anything else.
std::string tls_version(std::string_view word) {
  const std::string w = upper(word);
  if (w.size() < 4 || (w.compare(0, 3, "TLS") != 0 && w.compare(0, 3, "SSL") != 0)) return "";
  std::size_t i = w[3] == 'V' ? 4 : 3;
  auto digit = [&](std::size_t at) {
    return at < w.size() && std::isdigit(static_cast<unsigned char>(w[at]));
  };
  if (!digit(i)) return "";
  const char major = w[i++];
  char minor = '0';
  if (i < w.size() && (w[i] == '.' || w[i] == '_')) {
    if (!digit(i + 1)) return "";
    minor = w[i + 1];
    i += 2;
  }
  if (i != w.size()) return "";
  if (w[0] == 'S') return minor == '0' ? std::string("SSLv") + major : "";
  if (major != '1') return "";
  return minor == '0' ? std::string("TLSv1") : std::string("TLSv1.") + minor;
}

// The words of a comment, split at white space and commas.
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (space(s[i]) || s[i] == ',')) ++i;
    const std::size_t start = i;
    while (i < s.size() && !space(s[i]) && s[i] != ',') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

void set_tls(Received& r, std::string_view version, std::string_view cipher) {
  r.tls = true;
  if (!version.empty() && r.tls_version.empty()) r.tls_version = clean(version);
  if (!cipher.empty() && r.tls_cipher.empty()) r.tls_cipher = clean(cipher);
}

// The TLS a comment tells of, in the forms MTAs write it.
void read_tls_comment(std::string_view comment, Received& r) {
  const auto w = words(comment);
  if (w.empty()) return;
  // Postfix: "using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) ...".
  if (iequals(w[0], "using") && w.size() > 1) {
    const std::string v = tls_version(w[1]);
    if (v.empty()) return;
    std::string_view cipher;
    if (w.size() > 4 && iequals(w[2], "with") && iequals(w[3], "cipher")) cipher = w[4];
    set_tls(r, v, cipher);
    return;
  }
  // Exchange, Gmail, sendmail: "version=TLS1_2, cipher=TLS_ECDHE_..." / "version=TLSv1.3 ...".
  std::string version;
  std::string_view cipher;
  for (auto x : w) {
    if (x.size() > 8 && iequals(x.substr(0, 8), "version=")) version = tls_version(x.substr(8));
    if (x.size() > 7 && iequals(x.substr(0, 7), "cipher=")) cipher = x.substr(7);
  }
  if (!version.empty()) {
    set_tls(r, version, cipher);
    return;
  }
  // Exim: "TLS1.3" (cipher in a `tls` word after it), older "TLS1.2:ECDHE-RSA-...:256";
  // Exchange 2010: "TLS".
  if (w.size() == 1) {
    const std::string_view first = w[0].substr(0, w[0].find(':'));
    if (iequals(first, "TLS")) {
      set_tls(r, "", "");
    } else if (const std::string v = tls_version(first); !v.empty()) {
      std::string_view rest = w[0].substr(first.size());
      if (!rest.empty()) rest.remove_prefix(1);
      set_tls(r, v, rest.substr(0, rest.find(':')));
    }
  }
}

// The protocol names of RFC 3848, 6531 and 8314 with TLS, and those without.
constexpr std::array<const char*, 10> kWithTls = {
    "ESMTPS",    "ESMTPSA",    "SMTPS",     "LMTPS",      "LMTPSA",
    "UTF8SMTPS", "UTF8SMTPSA", "UTF8LMTPS", "UTF8LMTPSA", "HTTPS"};
constexpr std::array<const char*, 10> kWithoutTls = {
    "SMTP",     "ESMTP",     "ESMTPA",   "LMTP",      "LMTPA",
    "UTF8SMTP", "UTF8SMTPA", "UTF8LMTP", "UTF8LMTPA", "HTTP"};

enum class Clause { none, from, by, via, with, id, for_ };

Clause keyword(std::string_view w) {
  static constexpr std::array<std::pair<const char*, Clause>, 6> names = {{{"from", Clause::from},
                                                                           {"by", Clause::by},
                                                                           {"via", Clause::via},
                                                                           {"with", Clause::with},
                                                                           {"id", Clause::id},
                                                                           {"for", Clause::for_}}};
  for (const auto& [name, clause] : names)
    if (iequals(w, name)) return clause;
  return Clause::none;
}

}  // namespace

std::optional<Received> parse_received(std::string_view value) {
  const auto toks = tokens(value);
  if (!toks) return std::nullopt;
  std::size_t end = toks->size();  // the clauses end at the last ';', the date follows it
  for (std::size_t i = toks->size(); i > 0; --i)
    if ((*toks)[i - 1].kind == Token::Kind::semicolon) {
      end = i - 1;
      break;
    }

  Received r;
  std::array<std::string, 7> values;  // by Clause
  std::array<bool, 7> seen{};
  Clause current = Clause::none;
  bool has_value = false;    // the current clause has a word
  bool collecting = false;   // words still belong to the current clause's value
  bool repeated = false;     // a clause written twice keeps its first value
  bool exim_cipher = false;  // the word after Exim's "tls" is the cipher
  for (std::size_t i = 0; i < end; ++i) {
    const Token& t = (*toks)[i];
    const auto slot = static_cast<std::size_t>(current);
    const bool bare = current != Clause::none && !has_value;  // "from by x", "from (x)"
    if (t.kind == Token::Kind::word) {
      if (const Clause k = keyword(t.text); k != Clause::none) {
        if (bare) return std::nullopt;
        current = k;
        has_value = false;
        collecting = true;
        repeated = seen[static_cast<std::size_t>(k)];
        seen[static_cast<std::size_t>(k)] = true;
      } else if (current == Clause::none) {
        return std::nullopt;  // words before the first clause
      } else if (collecting) {
        // Values of several words exist: "with Microsoft SMTP Server", "via Frontend Transport".
        if (!repeated) values[slot] += (values[slot].empty() ? "" : " ") + std::string(t.text);
        has_value = true;
      } else if (exim_cipher) {
        set_tls(r, "", t.text);
        exim_cipher = false;
      } else {
        exim_cipher = iequals(t.text, "tls");
      }
      continue;
    }
    if (bare) return std::nullopt;
    collecting = false;
    exim_cipher = false;
    if (t.kind == Token::Kind::comment) read_tls_comment(t.text, r);
  }
  if (current != Clause::none && !has_value) return std::nullopt;
  const bool any = current != Clause::none;

  if (end < toks->size()) {
    const std::size_t after = static_cast<std::size_t>((*toks)[end].text.data() - value.data()) + 1;
    r.at = parse_rfc5322_date(value.substr(after));
  }
  if (!any && !r.at) return std::nullopt;

  r.from = clean(values[static_cast<std::size_t>(Clause::from)]);
  r.by = clean(values[static_cast<std::size_t>(Clause::by)]);
  r.via = clean(values[static_cast<std::size_t>(Clause::via)]);
  r.with = clean(values[static_cast<std::size_t>(Clause::with)]);
  r.id = clean(values[static_cast<std::size_t>(Clause::id)]);
  if (!r.tls) {
    const std::string w = upper(r.with);
    auto in = [&](const auto& names) {
      return std::any_of(names.begin(), names.end(), [&](const char* n) { return w == n; });
    };
    if (in(kWithTls))
      r.tls = true;
    else if (in(kWithoutTls))
      r.tls = false;
  }
  return r;
}

Hops received_hops(std::string_view header_block, std::optional<std::int64_t> start) {
  Hops out;
  const auto fields = header_fields(header_block, "Received");
  std::vector<Received> parsed;  // newest first, as the fields stand
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto r = i < kMaxHops ? parse_received(fields[i]) : std::nullopt;
    if (r)
      parsed.push_back(std::move(*r));
    else
      ++out.unparsed;
  }
  if (!start)
    for (const auto& d : header_fields(header_block, "Date")) {
      start = parse_rfc5322_date(d);
      break;
    }
  std::optional<std::int64_t> before = start;
  for (auto it = parsed.rbegin(); it != parsed.rend(); ++it) {
    Hop h{std::move(*it), std::nullopt, false};
    if (h.received.at && before) {
      h.delay_s = *h.received.at - *before;
      h.skew = *h.delay_s < 0;
    }
    if (h.received.at) before = h.received.at;
    out.hops.push_back(std::move(h));
  }
  return out;
}

}  // namespace mc::proto::mime
