#include "protocols/pop3/reply.hpp"

#include <charconv>
#include <set>

#include "protocols/mime/headers.hpp"

namespace mc::proto::pop3 {
namespace {

bool starts_icase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && mime::iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

std::optional<Reply> parse_status(std::string_view line) {
  Reply r;
  std::string_view rest;
  if (starts_icase(line, "+OK")) {
    r.kind = Reply::Kind::ok;
    rest = line.substr(3);
  } else if (starts_icase(line, "-ERR")) {
    r.kind = Reply::Kind::err;
    rest = line.substr(4);
  } else if (line == "+" || starts_icase(line, "+ ")) {
    r.kind = Reply::Kind::continuation;
    r.text = std::string(line.size() > 2 ? line.substr(2) : std::string_view());
    return r;
  } else {
    return std::nullopt;
  }
  // "+OKAY" is not "+OK": the status word ends at a space or the line's end.
  if (!rest.empty() && rest.front() != ' ') return std::nullopt;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close != std::string_view::npos) {
      r.code = std::string(rest.substr(1, close - 1));
      rest.remove_prefix(close + 1);
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    }
  }
  r.text = std::string(rest);
  return r;
}

ReplyReader::Status ReplyReader::next(LineBuffer& in, Reply& out, bool multiline) {
  for (;;) {
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
    if (!in_body_) {
      status_line_ = line;
      auto r = parse_status(line);
      if (!r) return Status::malformed;
      if (!multiline || !r->ok()) {
        out = std::move(*r);
        return Status::complete;
      }
      partial_ = std::move(*r);
      in_body_ = true;
      continue;
    }
    if (line == ".") {
      in_body_ = false;
      out = std::move(partial_);
      partial_ = Reply{};
      return Status::complete;
    }
    // RFC 1939 section 3: a line of the body that starts with "." was sent with one more.
    if (!line.empty() && line.front() == '.') line.erase(0, 1);
    partial_.body_bytes += line.size() + 2;
    if (partial_.body_bytes > kMaxMultilineBytes) return Status::too_large;
    partial_.lines.push_back(std::move(line));
  }
}

std::optional<std::vector<UidlEntry>> parse_uidl(const std::vector<std::string>& lines) {
  std::vector<UidlEntry> out;
  std::set<std::uint32_t> numbers;
  for (const std::string& line : lines) {
    const auto space = line.find(' ');
    if (space == std::string::npos || space == 0) return std::nullopt;
    UidlEntry e;
    const char* first = line.data();
    const char* last = line.data() + space;
    auto [end, ec] = std::from_chars(first, last, e.number);
    if (ec != std::errc() || end != last || e.number == 0) return std::nullopt;
    std::string_view uid = std::string_view(line).substr(space + 1);
    while (!uid.empty() && uid.back() == ' ') uid.remove_suffix(1);  // trailing blanks, seen
    if (uid.empty() || uid.size() > 70) return std::nullopt;
    for (char c : uid)
      if (c < 0x21 || c > 0x7e) return std::nullopt;
    if (!numbers.insert(e.number).second) return std::nullopt;
    e.uid = std::string(uid);
    out.push_back(std::move(e));
  }
  return out;
}

std::string header_block(const std::vector<std::string>& lines) {
  std::string block;
  for (const std::string& line : lines) {
    if (line.empty()) break;  // TOP n 0 sends the empty line; anything after it is body
    block += line;
    block += "\r\n";
  }
  block += "\r\n";
  return block;
}

bool carries_token(std::string_view headers, std::string_view token) {
  if (token.empty()) return false;
  for (const std::string& v : mime::header_fields(headers, "X-Mailcanary-Token"))
    if (v == token) return true;
  return false;
}

}  // namespace mc::proto::pop3
