#include "protocols/imap.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <limits>
#include <utility>

#include "codec/base64.hpp"

namespace mc::proto::imap {
namespace {

using codec::base64_encode;

using detail::Chunk;

constexpr std::string_view kTokenHeader = "X-Mailcanary-Token";
constexpr std::string_view kRedacted = "<redacted>";
// RFC 7888: LITERAL- allows non-synchronizing literals only up to this size.
constexpr std::size_t kLiteralMinusMax = 4096;
// How many search hits one FETCH verifies: the token is unique, so more are duplicates at best.
constexpr std::size_t kMaxVerifyPerFetch = 100;
// Nesting bound of parenthesized FETCH values, so hostile input cannot exhaust the stack.
constexpr int kMaxNesting = 32;

// ---- Small text helpers ------------------------------------------------------------------

char upper(char c) {
  return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), upper);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return upper(x) == upper(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
  if (!all_digits(s) || s.size() > 10) return false;
  std::uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  if (v > std::numeric_limits<std::uint32_t>::max()) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

// Removes and returns the text up to the next space (and the space itself).
std::string_view take_word(std::string_view& s) {
  const std::size_t sp = s.find(' ');
  const std::string_view word = s.substr(0, sp);
  s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
  return word;
}

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> words;
  while (!s.empty()) {
    const std::string_view w = take_word(s);
    if (!w.empty()) words.push_back(w);
  }
  return words;
}

std::string_view trim(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// Case-insensitive: a server may upper-case what it echoes (a status word always is), and a
// secret must not leak through its capitals.
void replace_all_icase(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  auto find = [&](std::size_t start) -> std::size_t {
    for (std::size_t pos = start; pos + from.size() <= s.size(); ++pos) {
      if (iequals(std::string_view(s).substr(pos, from.size()), from)) return pos;
    }
    return std::string::npos;
  };
  for (std::size_t pos = find(0); pos != std::string::npos; pos = find(pos)) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

// Control characters of a non-secret literal would break the one-line transcript.
std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

std::vector<std::uint32_t> sorted_unique(std::vector<std::uint32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  v.erase(std::remove(v.begin(), v.end(), 0u), v.end());  // UID 0 names no message
  return v;
}

std::vector<std::uint32_t> intersect(const std::vector<std::uint32_t>& a,
                                     const std::vector<std::uint32_t>& b) {
  std::vector<std::uint32_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<std::uint32_t> difference(const std::vector<std::uint32_t>& a,
                                      const std::vector<std::uint32_t>& b) {
  std::vector<std::uint32_t> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// A sorted, duplicate-free UID list as an IMAP sequence set: "7,9:11".
std::string uid_set(const std::vector<std::uint32_t>& uids) {
  std::string out;
  for (std::size_t i = 0; i < uids.size();) {
    std::size_t j = i;
    while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(uids[i]);
    if (j > i) out += ':' + std::to_string(uids[j]);
    i = j + 1;
  }
  return out;
}

std::string uid_list(const std::vector<std::uint32_t>& uids) {
  std::string out;
  for (std::uint32_t u : uids) out += (out.empty() ? "" : " ") + std::to_string(u);
  return out;
}

bool has(const std::vector<std::string>& capabilities, std::string_view name) {
  return std::any_of(capabilities.begin(), capabilities.end(),
                     [&](const std::string& c) { return iequals(c, name); });
}

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

// ---- Commands out --------------------------------------------------------------------------

// Builds one command as the pieces that can be written without waiting for a "+", and the
// redacted text the transcript shows for each.
class CommandBuilder {
 public:
  CommandBuilder(const std::string& tag, const std::vector<std::string>& capabilities)
      : literal_plus_(has(capabilities, "LITERAL+")),
        literal_minus_(has(capabilities, "LITERAL-")) {
    cur_.bytes = tag;
    cur_.shown = tag;
  }

  CommandBuilder& word(std::string_view w) {
    space();
    cur_.bytes += w;
    cur_.shown += w;
    return *this;
  }

  CommandBuilder& secret_word(std::string_view w) {
    space();
    cur_.bytes += w;
    cur_.shown += kRedacted;
    return *this;
  }

  CommandBuilder& astring(std::string_view s, bool secret) {
    space();
    if (!needs_literal(s)) {
      const std::string quoted = quote_astring(s);
      cur_.bytes += quoted;
      cur_.shown += secret ? std::string(kRedacted) : quoted;
      return *this;
    }
    return literal(s, secret);
  }

  // A SASL response: its own line, written only after the server's "+". Always secret.
  CommandBuilder& secret_line(std::string_view w) {
    end_chunk();
    cur_.bytes += w;
    cur_.shown += kRedacted;
    return *this;
  }

  std::vector<Chunk> finish() {
    cur_.bytes += "\r\n";
    chunks_.push_back(std::move(cur_));
    return std::move(chunks_);
  }

 private:
  CommandBuilder& literal(std::string_view s, bool secret) {
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

  void space() {
    if (cur_.bytes.empty()) return;
    cur_.bytes += ' ';
    cur_.shown += ' ';
  }

  void end_chunk() {
    cur_.bytes += "\r\n";
    chunks_.push_back(std::move(cur_));
    cur_ = {};
  }

  bool literal_plus_;
  bool literal_minus_;
  Chunk cur_;
  std::vector<Chunk> chunks_;
};

// ---- FETCH data in -----------------------------------------------------------------------

struct FetchData {
  std::optional<std::uint32_t> uid;
  std::optional<std::string> header;  // BODY[HEADER]
};

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

// A search hit only counts when a real X-Mailcanary-Token field holds exactly our token: server
// HEADER searches match substrings, and the token text may sit in another field.
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

}  // namespace

// ---- Public helpers ------------------------------------------------------------------------

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

// ---- Client: plumbing ----------------------------------------------------------------------

Client::Client(Config cfg) : cfg_(std::move(cfg)) {
  if (!cfg_.secret.empty()) {
    std::string quoted = quote_astring(cfg_.secret);
    secret_forms_ = {
        base64_encode(std::string(1, '\0') + cfg_.user + '\0' + cfg_.secret),
        quoted.substr(1, quoted.size() - 2),
        cfg_.secret,
        base64_encode(cfg_.secret),
    };
    // Longest first, so a shorter spelling never splits a longer one before it is replaced.
    std::sort(secret_forms_.begin(), secret_forms_.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  }
}

const Transcript& Client::transcript() const {
  return transcript_;
}
const Outcome& Client::outcome() const {
  return outcome_;
}

Action Client::start() {
  outcome_.tls = cfg_.implicit_tls;
  if (cfg_.mode != Mode::check && cfg_.token.empty()) {
    // An empty token would match every probe message ever sent.
    return fail(Reason::internal, "no probe token to search for");
  }
  return Action::read(phase_);
}

Action Client::on_written() {
  if (stage_ == Stage::done) return final_;
  if (stage_ != Stage::command) return fail(Reason::internal, "write completed, none was asked");
  return drain();
}

Action Client::on_input(std::string_view bytes) {
  if (stage_ == Stage::done) return final_;
  if (bytes.empty()) return on_disconnect();
  in_.feed(bytes);
  return drain();
}

Action Client::on_tls() {
  if (stage_ == Stage::done) return final_;
  if (stage_ != Stage::tls_handshake) return fail(Reason::internal, "TLS is up, none was asked");
  outcome_.tls = true;
  outcome_.capabilities.clear();  // what the server said in plaintext may have been forged
  stage_ = Stage::command;
  return capability();
}

Action Client::on_waited() {
  if (stage_ == Stage::done) return final_;
  if (stage_ != Stage::sleeping) return fail(Reason::internal, "wait elapsed, none was asked");
  stage_ = Stage::command;
  return search();
}

Action Client::on_disconnect() {
  if (cmd_ == Command::logout) {
    transcript_.note("server closed the connection during LOGOUT; the work was done");
    return succeed();
  }
  return fail(Reason::disconnected, "server closed the connection");
}

std::string Client::next_tag() {
  tag_ = "a" + std::to_string(++tags_used_);
  return tag_;
}

Action Client::send(Command cmd, std::vector<Chunk> chunks) {
  static constexpr std::pair<Command, std::string_view> kPhases[] = {
      {Command::capability, "capability"}, {Command::starttls, "starttls"},
      {Command::login, "login"},           {Command::select, "select"},
      {Command::search_token, "search"},   {Command::fetch_headers, "fetch"},
      {Command::fetch_newest, "fetch"},    {Command::store, "store"},
      {Command::uid_expunge, "expunge"},   {Command::search_deleted, "expunge"},
      {Command::fetch_deleted, "expunge"}, {Command::expunge, "expunge"},
      {Command::logout, "logout"},
  };
  for (const auto& [c, phase] : kPhases) {
    if (c == cmd) phase_ = phase;
  }
  cmd_ = cmd;
  stage_ = Stage::command;
  chunks_ = std::move(chunks);
  chunk_ = 0;
  transcript_.client(chunks_.front().shown);
  return Action::write(phase_, chunks_.front().bytes);
}

Action Client::drain() {
  for (;;) {
    Response r;
    switch (reader_.next(in_, r)) {
      case ResponseReader::Status::complete:
        if (auto action = handle(r)) return *action;
        break;
      case ResponseReader::Status::need_more:
        return Action::read(phase_);
      case ResponseReader::Status::too_long:
        return fail(Reason::protocol, "response line longer than the limit of " +
                                          std::to_string(kMaxLineBytes) + " bytes");
      case ResponseReader::Status::response_too_large:
        return fail(Reason::protocol, "response larger than the limit of " +
                                          std::to_string(kMaxResponseBytes) +
                                          " bytes, literals included");
      case ResponseReader::Status::bare_lf:
        return fail(Reason::protocol, "bare LF in a response; IMAP lines end with CRLF");
      case ResponseReader::Status::literal_too_large:
        return fail(Reason::protocol, "literal larger than the limit of " +
                                          std::to_string(kMaxLiteralBytes) +
                                          " bytes; refused before reading");
      case ResponseReader::Status::malformed:
        return fail(Reason::protocol, "malformed response");
    }
  }
}

std::optional<Action> Client::handle(const Response& r) {
  record(r);
  if (stage_ == Stage::greeting) return on_greeting(r);
  switch (r.kind) {
    case Response::Kind::continuation:
      return on_continuation(r);
    case Response::Kind::untagged:
      return on_untagged(r);
    case Response::Kind::tagged:
      return on_tagged(r);
  }
  return fail(Reason::internal, "unknown response kind");
}

std::optional<Action> Client::on_greeting(const Response& r) {
  if (r.kind != Response::Kind::untagged) {
    return fail(Reason::protocol, "expected an untagged greeting", &r);
  }
  take_response_code(r);
  if (r.status == "BYE") return fail(Reason::rejected, "server refused the connection", &r);
  if (r.status == "PREAUTH") {
    preauth_ = true;
    if (!outcome_.tls && cfg_.starttls == StartTls::required) {
      // STARTTLS is only allowed before authentication, so this session can never be secured.
      phase_ = "starttls";
      return fail(Reason::starttls_unavailable,
                  "server pre-authenticated a plaintext connection; STARTTLS is impossible", &r);
    }
  } else if (r.status != "OK") {
    return fail(Reason::protocol, "expected OK, PREAUTH or BYE as greeting", &r);
  }
  return capability();
}

std::optional<Action> Client::on_untagged(const Response& r) {
  take_response_code(r);
  if (r.status == "BYE") {
    if (cmd_ == Command::logout) return std::nullopt;
    return fail(Reason::disconnected, "server ended the session (BYE)", &r);
  }
  if (r.status == "PREAUTH") return fail(Reason::protocol, "PREAUTH after the greeting", &r);
  if (r.status == "CAPABILITY") take_capabilities(r.text);
  if (r.status == "EXISTS") exists_ = r.number;
  if (r.status == "SEARCH") return take_search(r);
  if (r.status == "FETCH") return take_fetch(r);
  return std::nullopt;  // notices, RECENT, FLAGS, EXPUNGE...: nothing to act on
}

std::optional<Action> Client::on_continuation(const Response& r) {
  if (cmd_ == Command::none || chunk_ + 1 >= chunks_.size()) {
    return fail(Reason::protocol, "unexpected continuation request", &r);
  }
  ++chunk_;
  transcript_.client(chunks_[chunk_].shown);
  return Action::write(phase_, chunks_[chunk_].bytes);
}

Action Client::on_tagged(const Response& r) {
  if (cmd_ == Command::none || r.tag != tag_) {
    return fail(Reason::protocol, "tagged response " + r.tag + " answers no command of ours", &r);
  }
  const Command cmd = std::exchange(cmd_, Command::none);
  chunks_.clear();
  chunk_ = 0;
  if (r.status == "OK") return on_tagged_ok(cmd, r);
  return on_tagged_refusal(cmd, r);
}

Action Client::on_tagged_ok(Command cmd, const Response& r) {
  take_response_code(r);
  switch (cmd) {
    case Command::capability:
      return after_capability();
    case Command::starttls:
      return after_starttls();
    case Command::login:
      return after_login();
    case Command::select:
      return after_select();
    case Command::search_token:
      return after_search();
    case Command::fetch_headers:
      return after_fetch_headers();
    case Command::fetch_newest:
      return logout();
    case Command::store:
      return after_store();
    case Command::search_deleted:
      return after_search_deleted();
    case Command::fetch_deleted:
      return after_fetch_deleted();
    case Command::uid_expunge:
    case Command::expunge:
      return after_expunge();
    case Command::logout:
      return succeed();
    case Command::none:
      break;
  }
  return fail(Reason::internal, "completion of no command");
}

Action Client::on_tagged_refusal(Command cmd, const Response& r) {
  const bool bad = r.status == "BAD";
  switch (cmd) {
    case Command::starttls:
      return fail(Reason::starttls_unavailable, "server refused STARTTLS", &r);
    case Command::login:
      if (bad) return fail(Reason::protocol, "server called the login command malformed", &r);
      return fail(Reason::auth_failed, "authentication failed", &r);
    case Command::logout:
      // Everything the step was for is done; a grumpy LOGOUT is not worth an alarm.
      transcript_.note("LOGOUT refused; the work was already done");
      return succeed();
    default:
      break;
  }
  if (bad) return fail(Reason::protocol, "server called the " + phase_ + " command malformed", &r);
  return fail(Reason::rejected, "server refused the " + phase_ + " command", &r);
}

// ---- Client: the dialogue ------------------------------------------------------------------

Action Client::capability() {
  return send(Command::capability,
              CommandBuilder(next_tag(), outcome_.capabilities).word("CAPABILITY").finish());
}

Action Client::after_capability() {
  if (!outcome_.tls && cfg_.starttls != StartTls::off) {
    if (preauth_) {
      transcript_.note("pre-authenticated: continuing without TLS (starttls optional)");
    } else if (has_capability("STARTTLS")) {
      return starttls();
    } else if (cfg_.starttls == StartTls::required) {
      phase_ = "starttls";  // as in SMTP: the step that could not happen
      return fail(Reason::starttls_unavailable,
                  "STARTTLS required but the server does not offer it");
    } else {
      transcript_.note("STARTTLS not offered: continuing without TLS (starttls optional)");
    }
  }
  return preauth_ ? select() : login();
}

Action Client::starttls() {
  if (in_.buffered() > 0) {
    return fail(Reason::protocol, "server sent data ahead of STARTTLS; refusing to continue");
  }
  return send(Command::starttls,
              CommandBuilder(next_tag(), outcome_.capabilities).word("STARTTLS").finish());
}

Action Client::after_starttls() {
  // CVE-2021-22947: anything already buffered was sent in plaintext, possibly by an attacker,
  // and must never be read as if it came through TLS.
  if (in_.buffered() > 0) {
    return fail(Reason::protocol, "server sent data after the STARTTLS reply; plaintext refused");
  }
  stage_ = Stage::tls_handshake;
  phase_ = "tls_handshake";
  return Action::start_tls(phase_);
}

Action Client::login() {
  if (!outcome_.tls) {
    // Whoever strips STARTTLS from the path would read the password: only the file may allow it.
    if (!cfg_.allow_plaintext_auth) {
      phase_ = "starttls";
      return fail(Reason::starttls_unavailable,
                  "the connection is not encrypted (STARTTLS " +
                      std::string(cfg_.starttls == StartTls::off ? "is off" : "was not offered") +
                      "), so the password was not sent; require STARTTLS, or set "
                      "\"allow_plaintext_auth\": true on the server to allow LOGIN in clear");
    }
    outcome_.plaintext_auth = true;
    transcript_.note("sending credentials without TLS (allow_plaintext_auth)");
  }
  if (has_capability("LOGINDISABLED")) return authenticate_plain();
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("LOGIN").astring(cfg_.user, true).astring(cfg_.secret, true);
  return send(Command::login, command.finish());
}

Action Client::authenticate_plain() {
  if (!has_capability("AUTH=PLAIN")) {
    phase_ = "login";
    return fail(Reason::auth_failed, "server disables LOGIN and offers no AUTH=PLAIN");
  }
  const std::string response = base64_encode(std::string(1, '\0') + cfg_.user + '\0' + cfg_.secret);
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("AUTHENTICATE PLAIN");
  if (has_capability("SASL-IR")) {
    command.secret_word(response);
  } else {
    command.secret_line(response);
  }
  return send(Command::login, command.finish());
}

Action Client::after_login() {
  return select();
}

Action Client::select() {
  exists_ = 0;
  outcome_.uidvalidity = 0;  // only the selected mailbox's value counts
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("SELECT").astring(cfg_.mailbox, false);
  return send(Command::select, command.finish());
}

Action Client::after_select() {
  switch (cfg_.mode) {
    case Mode::wait:
      return search();
    case Mode::remove:
      if (auto refused = uidvalidity_changed()) return *refused;
      return search();
    case Mode::check:
      return exists_ == 0 ? logout() : fetch_newest();
  }
  return fail(Reason::internal, "unknown mode");
}

Action Client::search() {
  search_hits_.clear();
  ++outcome_.searches;
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("UID SEARCH HEADER").word(kTokenHeader).astring(cfg_.token, false);
  return send(Command::search_token, command.finish());
}

Action Client::sleep_then_search() {
  stage_ = Stage::sleeping;
  phase_ = "search";
  return Action::sleep(phase_, cfg_.poll_interval);
}

Action Client::after_search() {
  std::vector<std::uint32_t> hits = sorted_unique(search_hits_);
  if (cfg_.mode == Mode::wait) {
    if (hits.empty()) return sleep_then_search();
    return fetch_headers(hits);
  }
  if (auto refused = uidvalidity_changed()) return *refused;
  if (cfg_.uids.empty()) {
    // Nobody told us which UIDs are ours: only the ones whose header proves it qualify.
    if (hits.empty()) return store();
    return fetch_headers(hits);
  }
  const std::vector<std::uint32_t> allowed = sorted_unique(cfg_.uids);
  const std::vector<std::uint32_t> foreign = difference(hits, allowed);
  if (!foreign.empty()) {
    transcript_.note("search also found UIDs " + uid_list(foreign) +
                     " that imap.wait did not report; leaving them alone");
  }
  target_ = intersect(hits, allowed);
  return store();
}

Action Client::fetch_headers(const std::vector<std::uint32_t>& uids) {
  fetch_requested_ = uids;
  if (fetch_requested_.size() > kMaxVerifyPerFetch) fetch_requested_.resize(kMaxVerifyPerFetch);
  verified_.clear();
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("UID FETCH").word(uid_set(fetch_requested_)).word("(UID BODY.PEEK[HEADER])");
  return send(Command::fetch_headers, command.finish());
}

Action Client::after_fetch_headers() {
  std::vector<std::uint32_t> verified;
  for (const auto& [uid, header] : verified_) verified.push_back(uid);
  if (cfg_.mode == Mode::remove) {
    target_ = verified;
    if (!verified_.empty()) outcome_.headers = verified_.begin()->second;
    return store();
  }
  if (verified.empty()) {
    transcript_.note("no search hit carries our token header yet; searching again");
    return sleep_then_search();
  }
  outcome_.found_uids = verified;
  outcome_.headers = verified_.begin()->second;
  return logout();
}

Action Client::fetch_newest() {
  // The newest few messages are what a user sees first when opening the mailbox.
  constexpr std::uint32_t kNewest = 5;
  const std::uint32_t first = exists_ > kNewest ? exists_ - kNewest + 1 : 1;
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("FETCH")
      .word(std::to_string(first) + ":" + std::to_string(exists_))
      .word("(UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT)])");
  return send(Command::fetch_newest, command.finish());
}

Action Client::store() {
  if (target_.empty()) {
    transcript_.note("no message of ours to delete");
    return logout();
  }
  if (auto refused = uidvalidity_changed()) return *refused;
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("UID STORE").word(uid_set(target_)).word("+FLAGS.SILENT (\\Deleted)");
  return send(Command::store, command.finish());
}

Action Client::after_store() {
  if (has_capability("UIDPLUS")) {
    // UID EXPUNGE removes exactly these UIDs, whatever else is flagged \Deleted.
    CommandBuilder command(next_tag(), outcome_.capabilities);
    command.word("UID EXPUNGE").word(uid_set(target_));
    return send(Command::uid_expunge, command.finish());
  }
  return search_deleted();
}

Action Client::search_deleted() {
  search_hits_.clear();
  return send(
      Command::search_deleted,
      CommandBuilder(next_tag(), outcome_.capabilities).word("UID SEARCH DELETED").finish());
}

Action Client::after_search_deleted() {
  // A plain EXPUNGE removes every \Deleted message, so it is only safe when all of them are
  // ours. (Another client could still flag one between this SEARCH and the EXPUNGE; IMAP offers
  // no way to close that window without UIDPLUS.)
  deleted_others_ = difference(sorted_unique(search_hits_), target_);
  own_deleted_.clear();
  if (deleted_others_.empty()) return expunge();
  if (deleted_others_.size() > kMaxVerifyPerFetch) return skip_expunge(deleted_others_);
  // Some may be this scenario's own earlier probes, left flagged by a run like this one: their
  // token header, read now, tells them from the user's mail. Only that one field is fetched.
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("UID FETCH")
      .word(uid_set(deleted_others_))
      .word("(UID BODY.PEEK[HEADER.FIELDS (" + std::string(kTokenHeader) + ")])");
  return send(Command::fetch_deleted, command.finish());
}

Action Client::after_fetch_deleted() {
  std::vector<std::uint32_t> foreign;
  for (std::uint32_t uid : deleted_others_)
    if (!own_deleted_.count(uid)) foreign.push_back(uid);
  if (!foreign.empty()) return skip_expunge(foreign);
  for (const auto& [uid, token] : own_deleted_) {
    if (token != cfg_.token) outcome_.also_expunged.push_back(token);
  }
  transcript_.note("every other \\Deleted message (UIDs " + uid_list(deleted_others_) +
                   ") carries a token of this scenario; expunging");
  return expunge();
}

Action Client::skip_expunge(const std::vector<std::uint32_t>& foreign) {
  outcome_.expunge_skipped = true;
  transcript_.note("other messages (UIDs " + uid_list(foreign) +
                   ") are flagged \\Deleted by their owner; not expunging, our probe stays "
                   "flagged \\Deleted");
  return logout();
}

Action Client::expunge() {
  return send(Command::expunge,
              CommandBuilder(next_tag(), outcome_.capabilities).word("EXPUNGE").finish());
}

Action Client::after_expunge() {
  outcome_.deleted_uids = target_;
  return logout();
}

Action Client::logout() {
  return send(Command::logout,
              CommandBuilder(next_tag(), outcome_.capabilities).word("LOGOUT").finish());
}

// ---- Client: reading response data -------------------------------------------------------

void Client::take_capabilities(std::string_view atoms) {
  outcome_.capabilities.clear();
  for (std::string_view atom : split_words(atoms)) outcome_.capabilities.push_back(to_upper(atom));
}

void Client::take_response_code(const Response& r) {
  std::string_view code = r.code;
  const std::string_view name = take_word(code);
  if (iequals(name, "CAPABILITY")) take_capabilities(code);
  if (iequals(name, "UIDVALIDITY")) {
    std::uint32_t value = 0;
    if (parse_u32(code, value)) outcome_.uidvalidity = value;
  }
}

std::optional<Action> Client::take_search(const Response& r) {
  if (cmd_ != Command::search_token && cmd_ != Command::search_deleted) return std::nullopt;
  for (std::string_view word : split_words(r.text)) {
    std::uint32_t uid = 0;
    if (!parse_u32(word, uid)) return fail(Reason::protocol, "malformed SEARCH data", &r);
    search_hits_.push_back(uid);
  }
  return std::nullopt;
}

std::optional<Action> Client::take_fetch(const Response& r) {
  if (cmd_ != Command::fetch_headers && cmd_ != Command::fetch_deleted) {
    return std::nullopt;  // flag updates and the like
  }
  FetchData data;
  if (!FetchParser(r).parse(data)) return fail(Reason::protocol, "malformed FETCH response", &r);
  if (!data.uid || !data.header) return std::nullopt;
  const std::uint32_t uid = *data.uid;
  if (cmd_ == Command::fetch_deleted) {
    if (!std::binary_search(deleted_others_.begin(), deleted_others_.end(), uid)) {
      return std::nullopt;
    }
    if (carries_token(*data.header, cfg_.token)) {
      own_deleted_.emplace(uid, cfg_.token);
      return std::nullopt;
    }
    for (const std::string& token : cfg_.own_tokens) {
      if (!token.empty() && carries_token(*data.header, token)) {
        own_deleted_.emplace(uid, token);
        break;
      }
    }
    return std::nullopt;
  }
  if (!std::binary_search(fetch_requested_.begin(), fetch_requested_.end(), uid)) {
    return std::nullopt;  // not a message we asked about
  }
  if (!carries_token(*data.header, cfg_.token)) {
    transcript_.note("UID " + std::to_string(uid) +
                     " matched the search but has no X-Mailcanary-Token field with our token");
    return std::nullopt;
  }
  verified_.emplace(uid, *data.header);
  return std::nullopt;
}

// ---- Client: results and safety ------------------------------------------------------------

std::optional<Action> Client::uidvalidity_changed() {
  if (cfg_.uidvalidity == 0 || outcome_.uidvalidity == cfg_.uidvalidity) return std::nullopt;
  return fail(Reason::protocol, "UIDVALIDITY changed from " + std::to_string(cfg_.uidvalidity) +
                                    " to " + std::to_string(outcome_.uidvalidity) +
                                    ": the UIDs may name other messages; nothing deleted");
}

bool Client::has_capability(std::string_view name) const {
  return has(outcome_.capabilities, name);
}

std::string Client::scrub(std::string text) const {
  for (const std::string& form : secret_forms_) replace_all_icase(text, form, kRedacted);
  return text;
}

void Client::record(const Response& r) {
  transcript_.server(scrub(render(r)));
}

Action Client::succeed() {
  stage_ = Stage::done;
  final_ = Action::finish();
  return final_;
}

Action Client::fail(Reason reason, std::string message, const Response* reply) {
  Failure failure{reason, phase_, scrub(std::move(message)), std::nullopt};
  if (reply != nullptr) {
    failure.reply = ServerReply{0, scrub(reply->code), scrub(reply->text), scrub(reply->status)};
  }
  transcript_.note("failed (" + std::string(to_string(reason)) + "): " + failure.message);
  stage_ = Stage::done;
  cmd_ = Command::none;
  final_ = Action::fail(std::move(failure));
  return final_;
}

}  // namespace mc::proto::imap
