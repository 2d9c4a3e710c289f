#include "protocols/imap/fetch.hpp"

#include <vector>

#include "protocols/imap/text.hpp"

namespace mc::proto::imap::detail {
namespace {

// Nesting bound of parenthesized FETCH values, so hostile input cannot exhaust the stack.
constexpr int kMaxNesting = 32;

// Walks "(UID 7 BODY[HEADER] {342})", taking each literal marker's payload from the response.
class FetchParser {
 public:
  explicit FetchParser(const Response& r) : s_(r.text), literals_(r.literals) {}

  bool parse(FetchData& out) {
    skip_spaces();
    if (!consume('(')) return false;
    for (;;) {
      skip_spaces();
      if (consume(')')) break;
      const std::string_view name = item_name();
      if (name.empty() || !consume(' ')) return false;
      if (!item_value(name, out)) return false;
    }
    skip_spaces();
    return pos_ == s_.size() && next_literal_ == literals_.size();
  }

 private:
  bool item_value(std::string_view name, FetchData& out) {
    if (iequals(name, "UID")) {
      std::uint32_t uid = 0;
      if (!number(uid)) return false;
      out.uid = uid;
      return true;
    }
    // BODY[HEADER] or BODY[HEADER.FIELDS (...)]: a header block either way.
    if (iequals(name, "BODY[HEADER]") || istarts_with(name, "BODY[HEADER.FIELDS ")) {
      return nstring(out.header);
    }
    // BODY[]<0> is how a server answers a partial BODY.PEEK[]<0.n>.
    if (iequals(name, "BODY[]") || istarts_with(name, "BODY[]<")) return nstring(out.full);
    return skip_value(0);
  }

  // An item name, including a section such as "BODY[HEADER.FIELDS (DATE FROM)]".
  std::string_view item_name() {
    const std::size_t start = pos_;
    int brackets = 0;
    for (; pos_ < s_.size(); ++pos_) {
      const char c = s_[pos_];
      if (c == '[') ++brackets;
      if (c == ']') --brackets;
      if (brackets == 0 && (c == ' ' || c == '(' || c == ')')) break;
    }
    return s_.substr(start, pos_ - start);
  }

  bool number(std::uint32_t& out) {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
    return parse_u32(s_.substr(start, pos_ - start), out);
  }

  bool nstring(std::optional<std::string>& out) {
    if (istarts_with(s_.substr(pos_), "NIL")) {
      pos_ += 3;
      out.reset();
      return true;
    }
    std::string value;
    if (!string(value)) return false;
    out = std::move(value);
    return true;
  }

  bool string(std::string& out) {
    if (peek() == '"') return quoted(out);
    if (peek() == '{') return literal(out);
    return false;
  }

  bool quoted(std::string& out) {
    ++pos_;  // opening quote
    for (; pos_ < s_.size(); ++pos_) {
      char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\' && ++pos_ < s_.size()) c = s_[pos_];
      out += c;
    }
    return false;
  }

  bool literal(std::string& out) {
    const std::size_t close = s_.find('}', pos_);
    if (close == std::string_view::npos) return false;
    std::uint32_t size = 0;
    if (!parse_u32(s_.substr(pos_ + 1, close - pos_ - 1), size)) return false;
    if (next_literal_ >= literals_.size() || literals_[next_literal_].size() != size) return false;
    out = literals_[next_literal_++];
    pos_ = close + 1;
    return true;
  }

  bool skip_value(int depth) {
    if (depth > kMaxNesting) return false;
    std::string ignored;
    if (peek() == '"' || peek() == '{') return string(ignored);
    if (consume('(')) {
      for (;;) {
        skip_spaces();
        if (consume(')')) return true;
        if (pos_ >= s_.size() || !skip_value(depth + 1)) return false;
      }
    }
    const std::size_t start = pos_;  // an atom, a number or NIL
    while (pos_ < s_.size() && s_[pos_] != ' ' && s_[pos_] != '(' && s_[pos_] != ')') ++pos_;
    return pos_ > start;
  }

  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool consume(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void skip_spaces() {
    while (peek() == ' ') ++pos_;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  const std::vector<std::string>& literals_;
  std::size_t next_literal_ = 0;
};

// Header fields of a header block with folding undone (RFC 5322 2.2.3: CRLF before WSP).
std::vector<std::string> unfolded_fields(std::string_view header) {
  std::vector<std::string> fields;
  while (!header.empty()) {
    const std::size_t lf = header.find('\n');
    std::string_view line = header.substr(0, lf);
    header = lf == std::string_view::npos ? std::string_view{} : header.substr(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header block
    const bool continuation = line.front() == ' ' || line.front() == '\t';
    if (continuation && !fields.empty()) {
      fields.back() += line;
    } else {
      fields.emplace_back(line);
    }
  }
  return fields;
}

}  // namespace

bool parse_fetch(const Response& r, FetchData& out) {
  return FetchParser(r).parse(out);
}

bool carries_token(std::string_view header, std::string_view token) {
  for (const std::string& field : unfolded_fields(header)) {
    const std::size_t colon = field.find(':');
    if (colon == std::string::npos) continue;
    const std::string_view f(field);
    if (iequals(trim(f.substr(0, colon)), kTokenHeader) && trim(f.substr(colon + 1)) == token) {
      return true;
    }
  }
  return false;
}

}  // namespace mc::proto::imap::detail
