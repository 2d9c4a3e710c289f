#include "protocols/http/form.hpp"

#include <boost/regex.hpp>
#include <cctype>
#include <cstdio>

namespace mc::proto::http {

std::optional<std::string> parse_template(std::string_view v, std::vector<TemplatePart>& out) {
  out.clear();
  std::string literal;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char ch = v[i];
    if ((ch == '{' || ch == '}') && i + 1 < v.size() && v[i + 1] == ch) {
      literal += ch;
      ++i;
      continue;
    }
    if (ch == '}')
      return "a '}' at character " + std::to_string(i + 1) +
             " closes no placeholder; write \"}}\" for a literal brace";
    if (ch != '{') {
      literal += ch;
      continue;
    }
    const auto close = v.find('}', i + 1);
    if (close == std::string_view::npos)
      return "the '{' at character " + std::to_string(i + 1) +
             " is not closed; write \"{{\" for a literal brace";
    const std::string_view name = v.substr(i + 1, close - i - 1);
    if (name.empty()) return "an empty placeholder \"{}\"; name a value, like \"{user}\"";
    for (char c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
        return "\"{" + std::string(name) +
               "}\" is not a placeholder: a name is letters, digits, '_' and '-'";
    if (!literal.empty()) out.push_back({false, std::move(literal)});
    literal.clear();
    out.push_back({true, std::string(name)});
    i = close;
  }
  if (!literal.empty()) out.push_back({false, std::move(literal)});
  return std::nullopt;
}

std::string expand(const std::vector<TemplatePart>& parts,
                   const std::map<std::string, std::string>& values, std::string* missing) {
  std::string out;
  for (const auto& p : parts) {
    if (!p.placeholder) {
      out += p.text;
      continue;
    }
    auto it = values.find(p.text);
    if (it == values.end()) {
      if (missing != nullptr && missing->empty()) *missing = p.text;
      continue;
    }
    out += it->second;
  }
  return out;
}

namespace {

void encode(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '*') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
}

}  // namespace

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    encode(out, name);
    out += '=';
    encode(out, value);
  }
  return out;
}

std::optional<std::string> regex_error(const std::string& pattern) {
  try {
    boost::regex re(pattern, boost::regex::perl);
    (void)re;
  } catch (const boost::regex_error& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

RegexResult regex_search(std::string_view text, const std::string& pattern) {
  RegexResult r;
  try {
    const boost::regex re(pattern, boost::regex::perl);
    boost::cmatch m;
    // Boost's matcher keeps its own stack on the heap and gives up (throws) on a match whose
    // effort grows too fast, instead of running for ever or overflowing.
    if (boost::regex_search(text.data(), text.data() + text.size(), m, re)) {
      r.matched = true;
      r.capture = m.size() > 1 && m[1].matched ? m[1].str() : m[0].str();
    }
  } catch (const std::exception& e) {
    r.error = std::string("the regular expression is too complex for this response: ") + e.what();
  }
  return r;
}

std::string html_unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const auto semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += s[i];
      continue;
    }
    const std::string_view ent = s.substr(i + 1, semi - i - 1);
    std::string rep;
    if (ent == "amp")
      rep = "&";
    else if (ent == "lt")
      rep = "<";
    else if (ent == "gt")
      rep = ">";
    else if (ent == "quot")
      rep = "\"";
    else if (ent == "apos")
      rep = "'";
    else if (ent.size() > 1 && ent[0] == '#') {
      unsigned long code = 0;
      bool ok = true;
      const bool hex = ent[1] == 'x' || ent[1] == 'X';
      for (char c : ent.substr(hex ? 2 : 1)) {
        const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                      : hex && std::isxdigit(static_cast<unsigned char>(c))
                          ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                          : -1;
        if (d < 0)
          ok = false;
        else
          code = code * (hex ? 16 : 10) + static_cast<unsigned long>(d);
      }
      // Only ASCII: a token or a field value, never text to show.
      if (ok && ent.size() > (hex ? 2u : 1u) && code > 0 && code < 0x80)
        rep = std::string(1, static_cast<char>(code));
    }
    if (rep.empty()) {
      out += s[i];
      continue;
    }
    out += rep;
    i = semi;
  }
  return out;
}

}  // namespace mc::proto::http
