#include "protocols/imap/list.hpp"

#include <algorithm>
#include <array>

#include "protocols/imap/text.hpp"

namespace mc::proto::imap::detail {
namespace {

// Nesting bound of RFC 5258 extended data, so hostile input cannot exhaust the stack.
constexpr int kMaxNesting = 32;

// Names that servers and clients give the Junk folder when it carries no \Junk flag: Dovecot,
// Courier, Cyrus and Zimbra setups ("Junk", "Spam"), Exchange ("Junk E-mail", "Junk Email"),
// Yahoo ("Bulk Mail"), Gmail ("[Gmail]/Spam").
constexpr std::array<std::string_view, 6> kCommonJunkNames = {
    "Junk", "Spam", "Junk E-mail", "Junk Email", "Bulk Mail", "[Gmail]/Spam"};

bool is_ctl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// ATOM-CHAR of RFC 3501 (no atom-specials), for flags.
bool is_atom_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view("(){%*\"\\]").find(c) == std::string_view::npos;
}

// An atom mailbox name: ASTRING-CHARs, and 8-bit bytes, which servers with UTF8=ACCEPT may send.
bool is_name_char(char c) {
  if (c == ' ' || is_ctl(c)) return false;
  return std::string_view("(){\"\\").find(c) == std::string_view::npos;
}

// Walks "(\HasNoChildren \Junk) "/" Junk (CHILDINFO ("SUBSCRIBED"))", taking each literal
// marker's payload from the response.
class ListParser {
 public:
  explicit ListParser(const Response& r) : s_(r.text), literals_(r.literals) {}

  bool parse(ListEntry& out) {
    out = ListEntry{};
    if (!consume('(') || !flags(out.flags) || !consume(' ')) return false;
    if (!delimiter(out.delimiter) || !consume(' ')) return false;
    if (!mailbox(out.name)) return false;
    if (consume(' ') && peek() == '(' && !skip_value(0)) return false;
    while (consume(' ')) {
    }
    return pos_ == s_.size() && next_literal_ == literals_.size();
  }

  // "Junk (MESSAGES 1 UIDNEXT 2)": the name, then pairs of an attribute and a number.
  bool parse(StatusData& out) {
    out = StatusData{};
    if (!mailbox(out.name) || !consume(' ') || !consume('(')) return false;
    while (!consume(')')) {
      const std::size_t start = pos_;
      while (is_atom_char(peek())) ++pos_;
      const std::string_view item = s_.substr(start, pos_ - start);
      if (item.empty() || !consume(' ')) return false;
      const std::size_t digits = pos_;
      while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
      // Numbers up to 63 bits (HIGHESTMODSEQ); only UIDNEXT is kept, and it fits 32.
      const std::string_view value = s_.substr(digits, pos_ - digits);
      if (value.empty() || value.size() > 20) return false;
      if (iequals(item, "UIDNEXT") && !parse_u32(value, out.uidnext)) return false;
      if (peek() != ')' && !consume(' ')) return false;
    }
    while (consume(' ')) {
    }
    return pos_ == s_.size() && next_literal_ == literals_.size();
  }

 private:
  // "\HasNoChildren \Junk)": flags separated by single spaces, the closing parenthesis consumed.
  bool flags(std::vector<std::string>& out) {
    if (consume(')')) return true;
    for (;;) {
      const std::size_t start = pos_;
      consume('\\');
      while (is_atom_char(peek())) ++pos_;
      if (pos_ == start || s_[pos_ - 1] == '\\') return false;
      out.emplace_back(s_.substr(start, pos_ - start));
      if (consume(')')) return true;
      if (!consume(' ')) return false;
    }
  }

  // A quoted single character, or NIL.
  bool delimiter(char& out) {
    if (istarts_with(s_.substr(pos_), "NIL")) {
      pos_ += 3;
      out = 0;
      return true;
    }
    std::string quoted_char;
    if (peek() != '"' || !quoted(quoted_char) || quoted_char.size() != 1) return false;
    out = quoted_char.front();
    return out != 0;
  }

  bool mailbox(std::string& out) {
    if (peek() == '"') return quoted(out);
    if (peek() == '{') return literal(out);
    const std::size_t start = pos_;
    while (pos_ < s_.size() && is_name_char(s_[pos_])) ++pos_;
    out = s_.substr(start, pos_ - start);
    return !out.empty();
  }

  // RFC 3501 quoted: only \\ and \" are escapes; no NUL (CR and LF cannot be in a line).
  bool quoted(std::string& out) {
    ++pos_;  // opening quote
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return true;
      if (c == '\0') return false;
      if (c == '\\') {
        if (pos_ >= s_.size() || (s_[pos_] != '\\' && s_[pos_] != '"')) return false;
        c = s_[pos_++];
      }
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

  // One value of extended data: a parenthesized list, a string, a literal or an atom.
  bool skip_value(int depth) {
    if (depth > kMaxNesting) return false;
    std::string ignored;
    if (peek() == '"') return quoted(ignored);
    if (peek() == '{') return literal(ignored);
    if (consume('(')) {
      for (;;) {
        if (consume(')')) return true;
        if (!skip_value(depth + 1)) return false;
        if (peek() != ')' && !consume(' ')) return false;
      }
    }
    const std::size_t start = pos_;  // an atom, a number or NIL
    while (pos_ < s_.size() && is_name_char(s_[pos_])) ++pos_;
    return pos_ > start;
  }

  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool consume(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  const std::vector<std::string>& literals_;
  std::size_t next_literal_ = 0;
};

bool selectable(const ListEntry& e) {
  return !e.has_flag("\\Noselect") && !e.has_flag("\\NonExistent");
}

bool common_junk_name(std::string_view name) {
  return std::any_of(kCommonJunkNames.begin(), kCommonJunkNames.end(),
                     [&](std::string_view common) { return iequals(name, common); });
}

// "Junk", or "INBOX.Junk" where the folders live under INBOX (Courier, Cyrus).
bool junk_by_name(const ListEntry& e) {
  if (common_junk_name(e.name)) return true;
  const std::string_view name = e.name;
  constexpr std::string_view kInbox = "INBOX";
  return e.delimiter != 0 && name.size() > kInbox.size() + 1 && istarts_with(name, kInbox) &&
         name[kInbox.size()] == e.delimiter && common_junk_name(name.substr(kInbox.size() + 1));
}

}  // namespace

bool ListEntry::has_flag(std::string_view flag) const {
  return std::any_of(flags.begin(), flags.end(),
                     [&](const std::string& f) { return iequals(f, flag); });
}

bool parse_status(const Response& r, StatusData& out) {
  return ListParser(r).parse(out);
}

bool parse_list(const Response& r, ListEntry& out) {
  if (r.kind != Response::Kind::untagged || r.status != "LIST" || r.numbered) return false;
  return ListParser(r).parse(out);
}

std::vector<Chunk> list_command(CommandBuilder cmd, bool special_use) {
  cmd.word("LIST").astring("", false).astring("*", false);
  if (special_use) cmd.word("RETURN").word("(SPECIAL-USE)");
  return cmd.finish();
}

bool same_mailbox(std::string_view a, std::string_view b) {
  return a == b || (iequals(a, "INBOX") && iequals(b, "INBOX"));
}

std::optional<JunkChoice> choose_junk(const std::vector<ListEntry>& listed,
                                      std::string_view file_name, std::string_view watched) {
  const auto candidate = [&](const ListEntry& e) {
    return selectable(e) && !same_mailbox(e.name, watched);
  };
  for (const ListEntry& e : listed) {
    if (candidate(e) && e.has_flag("\\Junk")) return JunkChoice{e.name, "special-use"};
  }
  // The file's name is taken even when LIST did not show it: a listing can leave mailboxes out
  // (ACLs, other namespaces, a listing cut short), and a name the operator wrote that does not
  // exist should show as that mailbox failing to open, not as another folder watched instead.
  if (!file_name.empty() && !same_mailbox(file_name, watched)) {
    return JunkChoice{std::string(file_name), "file"};
  }
  for (const ListEntry& e : listed) {
    if (candidate(e) && junk_by_name(e)) return JunkChoice{e.name, "name"};
  }
  return std::nullopt;
}

}  // namespace mc::proto::imap::detail
