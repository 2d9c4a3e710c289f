#include "protocols/imap/command.hpp"

#include <algorithm>

#include "protocols/credentials.hpp"
#include "protocols/imap/text.hpp"

namespace mc::proto::imap {

std::string quote_astring(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

bool needs_literal(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return c == '\r' || c == '\n' || c == '\0' || static_cast<unsigned char>(c) >= 0x80;
  });
}

namespace detail {
namespace {
// RFC 7888: LITERAL- allows non-synchronizing literals only up to this size.
constexpr std::size_t kLiteralMinusMax = 4096;
}  // namespace

CommandBuilder::CommandBuilder(const std::string& tag, const std::vector<std::string>& capabilities)
    : literal_plus_(has(capabilities, "LITERAL+")), literal_minus_(has(capabilities, "LITERAL-")) {
  cur_.bytes = tag;
  cur_.shown = tag;
}

CommandBuilder& CommandBuilder::word(std::string_view w) {
  space();
  cur_.bytes += w;
  cur_.shown += w;
  return *this;
}

CommandBuilder& CommandBuilder::close() {
  cur_.bytes += ')';
  cur_.shown += ')';
  return *this;
}

CommandBuilder& CommandBuilder::secret_word(std::string_view w) {
  space();
  cur_.bytes += w;
  cur_.shown += kRedacted;
  return *this;
}

CommandBuilder& CommandBuilder::astring(std::string_view s, bool secret) {
  space();
  if (!needs_literal(s)) {
    const std::string quoted = quote_astring(s);
    cur_.bytes += quoted;
    cur_.shown += secret ? std::string(kRedacted) : quoted;
    return *this;
  }
  return literal(s, secret);
}

CommandBuilder& CommandBuilder::secret_line(std::string_view w) {
  end_chunk();
  cur_.bytes += w;
  cur_.shown += kRedacted;
  return *this;
}

std::vector<Chunk> CommandBuilder::finish() {
  cur_.bytes += "\r\n";
  chunks_.push_back(std::move(cur_));
  return std::move(chunks_);
}

CommandBuilder& CommandBuilder::literal(std::string_view s, bool secret) {
  const bool non_sync = literal_plus_ || (literal_minus_ && s.size() <= kLiteralMinusMax);
  const std::string marker = "{" + std::to_string(s.size()) + (non_sync ? "+}" : "}");
  cur_.bytes += marker;
  cur_.shown += secret ? kRedacted : std::string_view(marker);
  if (non_sync) {
    cur_.bytes += "\r\n";
    cur_.bytes += s;
    if (!secret) cur_.shown += " " + printable(s);
  } else {
    end_chunk();  // the server must say "+" before the payload may follow
    cur_.bytes += s;
    cur_.shown += secret ? std::string(kRedacted) : printable(s);
  }
  return *this;
}

void CommandBuilder::space() {
  if (cur_.bytes.empty()) return;
  cur_.bytes += ' ';
  cur_.shown += ' ';
}

void CommandBuilder::end_chunk() {
  cur_.bytes += "\r\n";
  chunks_.push_back(std::move(cur_));
  cur_ = {};
}

}  // namespace detail
}  // namespace mc::proto::imap
