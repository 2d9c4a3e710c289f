#include "protocols/smtp.hpp"
#include "protocols/smtp/text.hpp"

namespace mc::proto::smtp {
namespace {

using namespace detail;

// A malformed line is quoted in a Failure message; keep the quote short.
std::string quoted(std::string_view line) {
  constexpr std::size_t kMaxQuote = 80;
  std::string q = "\"" + std::string(line.substr(0, kMaxQuote));
  if (line.size() > kMaxQuote) q += "...";
  return q + "\"";
}

// `DDD`, `DDD-...` or `DDD ...` with the first digit 2..5 (RFC 5321 4.2).
bool has_reply_prefix(std::string_view line) {
  if (line.size() < 3) return false;
  if (line[0] < '2' || line[0] > '5' || !is_digit(line[1]) || !is_digit(line[2])) return false;
  return line.size() == 3 || line[3] == '-' || line[3] == ' ';
}

// Length of a run of 1..3 digits at `pos`, 0 when there is none.
std::size_t digit_run(std::string_view s, std::size_t pos) {
  std::size_t n = 0;
  while (pos + n < s.size() && is_digit(s[pos + n])) ++n;
  return n >= 1 && n <= 3 ? n : 0;
}

// The RFC 3463 code `class.subject.detail` at the start of `text`, ended by a space or the end
// of the text; its class must be the reply's first digit. Empty when there is none.
std::string_view leading_enhanced_code(std::string_view text, char reply_class) {
  if (text.size() < 5 || text[0] != reply_class || text[1] != '.') return {};
  const std::size_t subject = digit_run(text, 2);
  if (subject == 0 || 2 + subject >= text.size() || text[2 + subject] != '.') return {};
  const std::size_t detail = digit_run(text, 3 + subject);
  const std::size_t end = 3 + subject + detail;
  if (detail == 0 || (end < text.size() && text[end] != ' ')) return {};
  return text.substr(0, end);
}

// --- queue id ---

// A queue id is a short run of printable characters; anything else is not worth recording.
std::optional<std::string> queue_token(std::string_view s) {
  s = s.substr(0, s.find(' '));
  while (!s.empty() && std::string_view(",;)]>").find(s.back()) != std::string_view::npos) {
    s.remove_suffix(1);
  }
  constexpr std::size_t kMaxQueueId = 128;
  if (s.empty() || s.size() > kMaxQueueId) return std::nullopt;
  for (char c : s) {
    if (c <= ' ' || c > '~') return std::nullopt;
  }
  return std::string(s);
}

// The token right after `marker`, when the marker starts the text or follows a space.
std::optional<std::string> token_after_word(std::string_view text, std::string_view marker) {
  for (std::size_t at = text.find(marker); at != std::string_view::npos;
       at = text.find(marker, at + 1)) {
    if (at == 0 || text[at - 1] == ' ') return queue_token(text.substr(at + marker.size()));
  }
  return std::nullopt;
}

std::optional<std::string> postfix_queue_id(std::string_view text) {
  const std::string folded = upper(text);
  const std::size_t at = folded.find("QUEUED AS ");
  if (at == std::string::npos) return std::nullopt;
  return queue_token(trim(text.substr(at + 10)));
}

std::optional<std::string> exchange_queue_id(std::string_view text) {
  const std::size_t open = text.find('<');
  const std::size_t close = text.find('>', open);
  if (open != std::string_view::npos && close != std::string_view::npos) {
    const std::string_view id = text.substr(open + 1, close - open - 1);
    if (id.find('@') != std::string_view::npos) return queue_token(id);
  }
  const std::size_t internal = text.find("InternalId=");
  if (internal == std::string_view::npos) return std::nullopt;
  return queue_token(text.substr(internal + 11));
}

std::optional<std::string> gmail_queue_id(std::string_view text) {
  constexpr std::string_view kSuffix = " - gsmtp";
  text = trim(text);
  if (!text.ends_with(kSuffix)) return std::nullopt;
  text = trim(text.substr(0, text.size() - kSuffix.size()));
  return queue_token(text.substr(text.rfind(' ') + 1));
}

std::optional<std::string> sendmail_queue_id(std::string_view text) {
  text = trim(text);
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  if (!text.substr(space + 1).starts_with("Message accepted for delivery")) return std::nullopt;
  return queue_token(text.substr(0, space));
}

}  // namespace

// ---------------------------------------------------------------- ReplyParser

ReplyParser::Status ReplyParser::add_line(std::string_view line) {
  if (complete_) reset();
  if (!has_reply_prefix(line)) {
    return malformed("not a reply line (a code 2xx..5xx, then '-', ' ' or the end): " +
                     quoted(line));
  }
  const std::string_view code = line.substr(0, 3);
  if (texts_.empty()) {
    code_ = code;
  } else if (code != code_) {
    return malformed("one reply mixes the codes " + code_ + " and " + std::string(code));
  }
  if (texts_.size() >= kMaxReplyLines) {
    return malformed("reply longer than " + std::to_string(kMaxReplyLines) + " lines");
  }
  texts_.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
  if (line.size() > 3 && line[3] == '-') return Status::need_more;
  finish();
  return Status::complete;
}

void ReplyParser::reset() {
  texts_.clear();
  code_.clear();
  reply_ = {};
  problem_.clear();
  complete_ = false;
}

ReplyParser::Status ReplyParser::malformed(std::string problem) {
  problem_ = std::move(problem);
  return Status::malformed;
}

void ReplyParser::finish() {
  reply_.code = std::stoi(code_);
  reply_.enhanced = leading_enhanced_code(texts_.back(), code_[0]);
  for (std::string& text : texts_) {
    if (reply_.enhanced.empty() || !text.starts_with(reply_.enhanced)) continue;
    const std::size_t n = reply_.enhanced.size();
    if (text.size() == n || text[n] == ' ') text.erase(0, std::min(text.size(), n + 1));
  }
  for (std::size_t i = 0; i < texts_.size(); ++i) {
    if (i > 0) reply_.text += '\n';
    reply_.text += texts_[i];
  }
  complete_ = true;
}

// ---------------------------------------------------------------- free functions

std::optional<std::string> extract_queue_id(const ServerReply& r) {
  if (r.code / 100 != 2) return std::nullopt;
  const std::string_view text = r.text;
  for (auto format : {postfix_queue_id, exchange_queue_id, gmail_queue_id, sendmail_queue_id}) {
    if (auto id = format(text)) return id;
  }
  if (auto exim = token_after_word(text, "id=")) return exim;
  return token_after_word(text, "qp ");
}

std::string dot_stuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 16 + 5);
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < message.size() && message[i + 1] == '\n') ++i;
      out += "\r\n";
      line_start = true;
      continue;
    }
    // RFC 5321 4.5.2: a line that starts with '.' gets one more, or it could end the data.
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = false;
  }
  if (!line_start || out.empty()) out += "\r\n";
  out += ".\r\n";
  return out;
}

}  // namespace mc::proto::smtp
