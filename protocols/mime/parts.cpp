#include "protocols/mime/parts.hpp"

#include <cctype>

#include "codec/base64.hpp"
#include "protocols/mime/headers.hpp"

namespace mc::proto::mime {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The value without its comments, "(...)" nested, outside quoted strings.
std::string without_comments(std::string_view v) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '\\' && (quoted || depth > 0) && i + 1 < v.size()) {
      if (depth == 0) out.append(v.substr(i, 2));
      ++i;
      continue;
    }
    if (depth == 0 && c == '"') quoted = !quoted;
    if (!quoted && c == '(') ++depth;
    if (depth == 0) out += c;
    if (!quoted && c == ')' && depth > 0) --depth;
  }
  return out;
}

// Splits at `sep` outside quoted strings.
std::vector<std::string_view> split_unquoted(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && quoted) {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (s[i] == sep && !quoted) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

std::string unquoted(std::string_view v) {
  v = trim(v);
  if (v.size() < 2 || v.front() != '"') return std::string(v);
  std::string out;
  for (std::size_t i = 1; i < v.size() && v[i] != '"'; ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) ++i;
    out += v[i];
  }
  return out;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '"') return false;
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string base64_lenient(std::string_view body) {
  std::string clean;
  clean.reserve(body.size());
  for (char c : body) {
    if (c == '=') break;  // padding: the data ends here
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/') clean += c;
  }
  // A group of one character holds no whole byte; a cut group of two or three still does.
  if (clean.size() % 4 == 1) clean.pop_back();
  while (clean.size() % 4 != 0) clean += '=';
  return codec::base64_decode(clean).value_or(std::string());
}

std::string quoted_printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c != '=') {
      out += c;
      ++i;
      continue;
    }
    std::size_t j = i + 1;  // a soft line break: '=', maybe white space, then the line end
    while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
    if (j == s.size()) break;
    if (s[j] == '\n' || (s[j] == '\r' && j + 1 < s.size() && s[j + 1] == '\n')) {
      i = j + (s[j] == '\r' ? 2 : 1);
      continue;
    }
    if (i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 3;
      continue;
    }
    out += '=';
    ++i;
  }
  return out;
}

ContentType type_of(std::string_view header, const ContentType& fallback) {
  const auto fields = header_fields(header, "Content-Type");
  return fields.empty() ? fallback : parse_content_type(fields.front());
}

void walk(const Entity& e, const ContentType& type, int depth, std::vector<Leaf>& leaves) {
  if (leaves.size() >= kMaxParts) return;
  if (type.type == "multipart") {
    const std::string boundary = type.param("boundary");
    // Without a boundary, or too deep, the parts cannot be told apart: nothing to read.
    if (boundary.empty() || depth >= kMaxDepth) return;
    ContentType child;  // RFC 2046 section 5.1.5: a digest's parts are messages by default
    if (type.subtype == "digest") child = parse_content_type("message/rfc822");
    for (std::string_view part : split_multipart(e.body, boundary)) {
      const Entity pe = split_entity(part);
      walk(pe, type_of(pe.header, child), depth + 1, leaves);
      if (leaves.size() >= kMaxParts) return;
    }
    return;
  }
  const auto cte = header_fields(e.header, "Content-Transfer-Encoding");
  leaves.push_back(Leaf{type, e.header, decode_transfer(e.body, cte.empty() ? "" : cte.front())});
}

}  // namespace

bool ContentType::is(std::string_view t, std::string_view s) const {
  return type == t && subtype == s;
}

std::string ContentType::param(std::string_view name) const {
  for (const auto& [n, v] : params)
    if (iequals(n, name)) return v;
  return {};
}

ContentType parse_content_type(std::string_view value) {
  ContentType ct;
  const std::string v = without_comments(value);
  const auto pieces = split_unquoted(v, ';');
  const std::string_view media = trim(pieces.front());
  const auto slash = media.find('/');
  if (slash != std::string_view::npos) {
    const auto type = trim(media.substr(0, slash));
    const auto subtype = trim(media.substr(slash + 1));
    if (is_token(type) && is_token(subtype)) {
      ct.type = lower(type);
      ct.subtype = lower(subtype);
    }
  }
  for (std::size_t i = 1; i < pieces.size(); ++i) {
    const auto eq = pieces[i].find('=');
    if (eq == std::string_view::npos) continue;
    const auto name = trim(pieces[i].substr(0, eq));
    if (!name.empty()) ct.params.emplace_back(lower(name), unquoted(pieces[i].substr(eq + 1)));
  }
  return ct;
}

Entity split_entity(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    const std::size_t end = eol == std::string_view::npos ? text.size() : eol;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      const std::size_t body = eol == std::string_view::npos ? text.size() : eol + 1;
      return {text.substr(0, pos), text.substr(body)};
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return {text, {}};
}

std::string decode_transfer(std::string_view body, std::string_view encoding) {
  const std::string e = lower(trim(encoding));
  if (e == "base64") return base64_lenient(body);
  if (e == "quoted-printable") return quoted_printable(body);
  return std::string(body);
}

std::vector<std::string_view> split_multipart(std::string_view body, std::string_view boundary) {
  std::vector<std::string_view> parts;
  if (boundary.empty()) return parts;
  const std::string delimiter = "--" + std::string(boundary);
  bool in_part = false;
  std::size_t part_start = 0;
  std::size_t pos = 0;
  while (pos < body.size() && parts.size() < kMaxParts) {
    const std::size_t eol = body.find('\n', pos);
    const std::size_t next = eol == std::string_view::npos ? body.size() : eol + 1;
    std::string_view line = body.substr(pos, next - pos);
    if (line.substr(0, delimiter.size()) == delimiter) {
      std::string_view rest = line.substr(delimiter.size());
      const bool closing = rest.substr(0, 2) == "--";
      if (closing) rest.remove_prefix(2);
      if (trim(rest).empty()) {  // transport padding may follow a delimiter
        if (in_part) {
          std::string_view part = body.substr(part_start, pos - part_start);
          if (!part.empty() && part.back() == '\n') part.remove_suffix(1);
          if (!part.empty() && part.back() == '\r') part.remove_suffix(1);
          parts.push_back(part);
        }
        if (closing) return parts;
        in_part = true;
        part_start = next;
      }
    }
    pos = next;
  }
  // No closing delimiter: the message was cut, and the last part runs to its end.
  if (in_part && parts.size() < kMaxParts) parts.push_back(body.substr(part_start));
  return parts;
}

Message parse_message(std::string_view text) {
  Message m;
  const Entity e = split_entity(text);
  m.header = e.header;
  m.type = type_of(e.header, ContentType{});
  walk(e, m.type, 0, m.leaves);
  return m;
}

}  // namespace mc::proto::mime
