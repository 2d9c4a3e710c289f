#include "protocols/imap/response.hpp"

#include "protocols/imap/text.hpp"

namespace mc::proto::imap {
namespace {

using namespace detail;

// ---- Response framing ----------------------------------------------------------------------

bool is_status_keyword(std::string_view s) {
  return s == "OK" || s == "NO" || s == "BAD" || s == "BYE" || s == "PREAUTH";
}

// ASTRING-CHAR without "+" (RFC 3501 tag); also good enough for keywords.
bool is_tag_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view("(){%*\"\\+]").find(c) == std::string_view::npos;
}

bool is_tag(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tag_char);
}

// "[CODE args] human text" -> code and text. A "[" without "]" is just text.
void parse_resp_text(std::string_view s, Response& r) {
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close != std::string_view::npos) {
      r.code = s.substr(1, close - 1);
      s.remove_prefix(close + 1);
      if (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    }
  }
  r.text = s;
}

bool parse_untagged(std::string_view rest, Response& r) {
  r.kind = Response::Kind::untagged;
  std::string_view word = take_word(rest);
  const bool numbered = all_digits(word);
  if (numbered) {
    if (!parse_u32(word, r.number)) return false;
    r.numbered = true;
    word = take_word(rest);
  }
  if (!is_tag(word)) return false;
  r.status = to_upper(word);
  if (is_status_keyword(r.status)) {
    if (numbered) return false;
    parse_resp_text(rest, r);
  } else {
    r.text = rest;
  }
  return true;
}

bool parse_tagged(std::string_view line, Response& r) {
  r.kind = Response::Kind::tagged;
  const std::string_view tag = take_word(line);
  if (!is_tag(tag)) return false;
  r.tag = tag;
  r.status = to_upper(take_word(line));
  if (r.status != "OK" && r.status != "NO" && r.status != "BAD") return false;
  parse_resp_text(line, r);
  return true;
}

enum class Trailing { none, literal, too_large };

// "{342}" at the end of a data line announces a literal of 342 bytes.
Trailing trailing_literal(std::string_view line, std::size_t& n) {
  if (line.empty() || line.back() != '}') return Trailing::none;
  const std::size_t open = line.rfind('{');
  if (open == std::string_view::npos) return Trailing::none;
  const std::string_view digits = line.substr(open + 1, line.size() - open - 2);
  if (!all_digits(digits)) return Trailing::none;
  std::size_t v = 0;
  for (char c : digits) {
    v = v * 10 + static_cast<std::size_t>(c - '0');
    if (v > kMaxLiteralBytes) return Trailing::too_large;  // also stops any overflow
  }
  n = v;
  return Trailing::literal;
}

}  // namespace

namespace detail {

std::string render(const Response& r) {
  std::string out;
  switch (r.kind) {
    case Response::Kind::continuation:
      return r.text.empty() ? "+" : "+ " + r.text;
    case Response::Kind::tagged:
      out = r.tag;
      break;
    case Response::Kind::untagged:
      out = "*";
      if (r.numbered) out += " " + std::to_string(r.number);
      break;
  }
  out += " " + r.status;
  if (!r.code.empty()) out += " [" + r.code + "]";
  if (!r.text.empty()) out += " " + r.text;
  return out;
}

}  // namespace detail

// ---- ResponseReader ------------------------------------------------------------------------

ResponseReader::Status ResponseReader::next(LineBuffer& in, Response& out) {
  for (;;) {
    if (literal_) {
      std::string payload;
      if (!in.take_bytes(*literal_, payload)) return Status::need_more;
      partial_.literals.push_back(std::move(payload));
      literal_.reset();
    }
    std::string line;
    switch (in.next_line(line)) {
      case LineBuffer::Status::need_more:
        return Status::need_more;
      case LineBuffer::Status::too_long:
        return Status::too_long;
      case LineBuffer::Status::bare_lf:
        return Status::bare_lf;
      case LineBuffer::Status::line:
        break;
    }
    size_ += line.size();
    if (size_ > kMaxResponseBytes) return Status::response_too_large;
    const Status s = started_ ? resume(line) : begin(line);
    if (s != Status::complete) return s;
    if (literal_) continue;
    out = std::move(partial_);
    partial_ = Response{};
    started_ = false;
    size_ = 0;
    return Status::complete;
  }
}

ResponseReader::Status ResponseReader::begin(std::string_view line) {
  started_ = true;
  if (line.empty()) return Status::malformed;
  if (line.front() == '+') {
    partial_.kind = Response::Kind::continuation;
    line.remove_prefix(1);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    partial_.text = line;
    return Status::complete;
  }
  if (line.substr(0, 2) == "* ") {
    if (!parse_untagged(line.substr(2), partial_)) return Status::malformed;
    // Status responses carry human text, never literals.
    if (is_status_keyword(partial_.status)) return Status::complete;
    return expect_literal_after(line);
  }
  return parse_tagged(line, partial_) ? Status::complete : Status::malformed;
}

ResponseReader::Status ResponseReader::resume(std::string_view line) {
  partial_.text += line;
  return expect_literal_after(line);
}

ResponseReader::Status ResponseReader::expect_literal_after(std::string_view line) {
  std::size_t n = 0;
  switch (trailing_literal(line, n)) {
    case Trailing::none:
      return Status::complete;
    case Trailing::too_large:
      return Status::literal_too_large;
    case Trailing::literal:
      break;
  }
  size_ += n;
  if (size_ > kMaxResponseBytes) return Status::response_too_large;
  literal_ = n;
  return Status::complete;
}

}  // namespace mc::proto::imap
