#include "scenarios/jsonc.hpp"

#include <cstring>
#include <string_view>

namespace mc::scn {
namespace {

constexpr const char* kBom = "\xEF\xBB\xBF";  // the parser skips a byte order mark; so must we

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Skips whitespace and comments from `i`; returns the first offset of something else.
std::size_t skip_blank(const std::string& t, std::size_t i) {
  while (i < t.size()) {
    const char c = t[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == '/' && i + 1 < t.size() && t[i + 1] == '/') {
      // Where the parser ends a line comment: LF, a lone CR, or a NUL byte. Ending it anywhere
      // else would shift every place after it.
      const auto end = t.find_first_of(std::string_view("\n\r\0", 3), i + 2);
      i = end == std::string::npos ? t.size() : end + 1;
    } else if (c == '/' && i + 1 < t.size() && t[i + 1] == '*') {
      const auto end = t.find("*/", i + 2);
      i = end == std::string::npos ? t.size() : end + 2;
    } else {
      break;
    }
  }
  return i;
}

// `i` is at an opening quote; returns the offset just past the closing one.
std::size_t string_end(const std::string& t, std::size_t i) {
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\')
      ++i;
    else if (t[i] == '"')
      return i + 1;
  }
  return t.size();
}

// Offset just past the token that starts at `i` (which is not blank).
std::size_t token_end(const std::string& t, std::size_t i) {
  if (t[i] == '"') return string_end(t, i);
  if (std::strchr("{}[]:,", t[i]) != nullptr) return i + 1;
  std::size_t e = i;
  while (e < t.size() && std::strchr("{}[]:,\" \t\r\n/", t[e]) == nullptr) ++e;
  return e == i ? i + 1 : e;
}

// Start of the token that holds `offset`, or that ends just before it: the parser reports the
// last character it read, which for "unexpected string literal" is the string's closing quote.
std::size_t token_start(const std::string& t, std::size_t offset) {
  std::size_t i = starts_with(t, kBom) ? 3 : 0;
  while (true) {
    const std::size_t start = skip_blank(t, i);
    if (start >= t.size() || start > offset) return offset;
    const std::size_t end = token_end(t, start);
    if (offset < end || (offset == end && skip_blank(t, end) > offset)) return start;
    i = end;
  }
}

// The parser's words without its own position prefix and without the echo of the file's text
// ("last read: ..."): we name the place ourselves, and the text may hold anything.
std::string parser_detail(const std::string& what) {
  std::string s = what;
  if (const auto col = s.find("column "); col != std::string::npos) {
    if (const auto colon = s.find(": ", col); colon != std::string::npos) s = s.substr(colon + 2);
  }
  if (starts_with(s, "syntax error while parsing ")) {
    if (const auto dash = s.find(" - "); dash != std::string::npos) s = s.substr(dash + 3);
  }
  if (const auto last = s.find("; last read:"); last != std::string::npos) s.resize(last);
  return s;
}

}  // namespace

void line_column(const std::string& text, std::size_t offset, int& line, int& column) {
  line = 1;
  column = 1;
  // Columns count characters as an editor shows them: a UTF-8 byte order mark is not one, and
  // the continuation bytes of a multi-byte character add nothing.
  const std::size_t start = starts_with(text, kBom) ? 3 : 0;
  for (std::size_t i = start; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
}

std::optional<nlohmann::json> parse_jsonc(const std::string& text, ParseError& error) {
  try {
    return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/true,
                                 /*ignore_comments=*/true);
  } catch (const nlohmann::json::out_of_range& e) {
    // A number beyond what a double holds (406, "number overflow parsing '1e999'"): the parser
    // names the number but not where it is, so it is found in the text.
    std::string what = e.what();
    std::string number;
    if (const auto open = what.find('\''); open != std::string::npos) {
      const auto close = what.find('\'', open + 1);
      if (close != std::string::npos) number = what.substr(open + 1, close - open - 1);
    }
    // Token by token, so that the same digits in a comment or a string are not taken for it.
    std::size_t at = 0;
    for (std::size_t i = skip_blank(text, starts_with(text, kBom) ? 3 : 0);
         !number.empty() && i < text.size(); i = skip_blank(text, token_end(text, i))) {
      if (text.compare(i, token_end(text, i) - i, number) == 0) {
        at = i;
        break;
      }
    }
    line_column(text, at, error.line, error.column);
    error.message = number.empty() ? parser_detail(what)
                                   : "the number " + number.substr(0, 40) +
                                         " is too large to be read; write a smaller one";
    return std::nullopt;
  } catch (const nlohmann::json::parse_error& e) {
    std::string detail = parser_detail(e.what());
    // e.byte is 1-based and counts every byte read, comments included.
    std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
    if (at > text.size()) at = text.size();
    const bool at_end = detail.find("end of input") != std::string::npos;
    if ((starts_with(detail, "unexpected") && !at_end) || starts_with(detail, "invalid literal"))
      at = token_start(text, at);
    const char next = at < text.size() ? text[at] : '\0';
    std::size_t before = at;
    while (before > 0 && std::strchr(" \t\r\n", text[before - 1]) != nullptr) --before;

    if (at_end && skip_blank(text, 0) >= text.size()) {
      detail = "the file is empty; it must hold one JSON object";
    } else if ((next == '}' || next == ']') && before > 0 && text[before - 1] == ',') {
      detail += "; remove the comma before it: JSON allows no trailing comma";
    } else if (starts_with(detail, "unexpected") && !at_end &&
               (next == '"' || next == '{' || next == '[')) {
      if (detail.find("expected '}'") != std::string::npos ||
          detail.find("expected ']'") != std::string::npos)
        detail += "; is a comma missing before it?";
    } else if (starts_with(detail, "invalid literal")) {
      detail += "; strings need double quotes, and the only bare words are true, false and null";
    } else if (detail.find("U+000A (LF)") != std::string::npos) {
      detail += "; is the closing quote missing?";
    }
    line_column(text, at, error.line, error.column);
    error.message = detail;
    return std::nullopt;
  }
}

namespace {

// Walks text the parser has accepted, so it checks nothing and trusts the structure.
class Mapper {
 public:
  Mapper(const std::string& text, SourceMap& map) : t_(text), map_(map) {
    if (starts_with(t_, kBom)) i_ = 3;
  }

  void value(const std::string& path, int depth) {
    i_ = skip_blank(t_, i_);
    if (i_ >= t_.size()) return;
    map_.places[path].value = i_;
    if (depth > kMaxDepth) {
      skip_nested();
    } else if (t_[i_] == '{') {
      members(path, depth);
    } else if (t_[i_] == '[') {
      elements(path, depth);
    } else {
      i_ = token_end(t_, i_);
    }
  }

 private:
  static constexpr int kMaxDepth = 64;  // scenario files are shallow; deeper parts are not mapped

  void members(const std::string& path, int depth) {
    std::map<std::string, std::size_t> seen;
    ++i_;  // {
    while (true) {
      i_ = skip_blank(t_, i_);
      if (i_ >= t_.size()) return;
      if (t_[i_] == '}') {
        ++i_;
        return;
      }
      if (t_[i_] == ',') {
        ++i_;
        continue;
      }
      const std::size_t key_at = i_;
      i_ = string_end(t_, i_);
      const std::string key = decode_key(key_at, i_);
      const std::string member = path.empty() ? key : path + "." + key;
      const auto [first, fresh] = seen.emplace(key, key_at);
      if (!fresh) map_.duplicates.push_back({member, key, key_at, first->second});
      map_.places[member].key = key_at;  // the parser keeps the last value, so the last place
      i_ = skip_blank(t_, i_);
      if (i_ < t_.size() && t_[i_] == ':') ++i_;
      value(member, depth + 1);
    }
  }

  void elements(const std::string& path, int depth) {
    ++i_;  // [
    std::size_t index = 0;
    while (true) {
      i_ = skip_blank(t_, i_);
      if (i_ >= t_.size()) return;
      if (t_[i_] == ']') {
        ++i_;
        return;
      }
      if (t_[i_] == ',') {
        ++i_;
        continue;
      }
      value(path + "[" + std::to_string(index++) + "]", depth + 1);
    }
  }

  // Steps over one object or array without recursing.
  void skip_nested() {
    int open = 0;
    do {
      i_ = skip_blank(t_, i_);
      if (i_ >= t_.size()) return;
      const char c = t_[i_];
      if (c == '{' || c == '[') ++open;
      if (c == '}' || c == ']') --open;
      i_ = token_end(t_, i_);
    } while (open > 0);
  }

  std::string decode_key(std::size_t begin, std::size_t end) const {
    const std::string raw = t_.substr(begin, end - begin);
    if (raw.find('\\') == std::string::npos) return raw.substr(1, raw.size() - 2);
    try {
      return nlohmann::json::parse(raw).get<std::string>();
    } catch (const nlohmann::json::exception&) {
      return raw.substr(1, raw.size() - 2);
    }
  }

  const std::string& t_;
  SourceMap& map_;
  std::size_t i_ = 0;
};

}  // namespace

SourceMap map_source(const std::string& text) {
  SourceMap map;
  Mapper(text, map).value("", 0);
  return map;
}

}  // namespace mc::scn
