#include "protocols/mime/auth_results.hpp"

#include <cctype>

#include "protocols/mime/headers.hpp"

namespace mc::proto::mime {
namespace {

// A cursor over the field value that skips white space and comments between tokens.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  // White space and (nested) comments; false on a comment that never closes.
  bool skip_cfws() {
    for (;;) {
      while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ >= s_.size() || s_[i_] != '(') return true;
      int depth = 0;
      for (; i_ < s_.size(); ++i_) {
        if (s_[i_] == '\\') {
          ++i_;
          continue;
        }
        if (s_[i_] == '(') ++depth;
        if (s_[i_] == ')' && --depth == 0) break;
      }
      if (i_ >= s_.size()) {
        broken_ = true;
        return false;
      }
      ++i_;
    }
  }
  bool at_end() {
    skip_cfws();
    return i_ >= s_.size();
  }
  bool take(char c) {
    if (!skip_cfws() || i_ >= s_.size() || s_[i_] != c) return false;
    ++i_;
    return true;
  }
  char peek() {
    skip_cfws();
    return i_ < s_.size() ? s_[i_] : '\0';
  }
  // A token up to white space, a comment or one of `stops`; a quoted string, unquoted.
  std::string token(std::string_view stops) {
    if (!skip_cfws()) return {};
    std::string out;
    if (i_ < s_.size() && s_[i_] == '"') {
      for (++i_; i_ < s_.size() && s_[i_] != '"'; ++i_) {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
        out += s_[i_];
      }
      if (i_ < s_.size()) ++i_;
      return out;
    }
    while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_])) && s_[i_] != '(' &&
           stops.find(s_[i_]) == std::string_view::npos)
      out += s_[i_++];
    return out;
  }
  bool broken() const { return broken_; }  // a comment that never closed was met

 private:
  std::string_view s_;
  std::size_t i_ = 0;
  bool broken_ = false;
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// method[/version]=result [reason=...] *(ptype.property=value), up to the next ';'.
std::optional<AuthVerdict> verdict(Scanner& sc) {
  AuthVerdict v;
  v.method = lower(sc.token("=/;"));
  if (v.method.empty()) return std::nullopt;
  if (sc.take('/')) (void)sc.token("=;");  // a method version
  if (!sc.take('=')) return std::nullopt;
  v.result = lower(sc.token(";"));
  if (v.result.empty()) return std::nullopt;
  while (!sc.at_end() && sc.peek() != ';') {
    std::string key = sc.token("=;");
    if (key.empty() || !sc.take('=')) return std::nullopt;
    std::string value = sc.token(";");
    if (lower(key) == "reason")
      v.reason = value;
    else
      v.properties.push_back(key + "=" + value);
  }
  return v;
}

}  // namespace

std::optional<AuthResults> parse_auth_results(std::string_view value) {
  Scanner sc(value);
  AuthResults out;
  // authserv-id [version]; Microsoft 365 leaves the id out and starts with a verdict.
  Scanner probe = sc;
  const std::string first = probe.token("=;");
  if (first.empty()) return std::nullopt;
  if (probe.peek() != '=' && probe.peek() != '/') {
    out.authserv_id = first;
    sc = probe;
    if (sc.broken()) return std::nullopt;
    if (std::isdigit(static_cast<unsigned char>(sc.peek()))) (void)sc.token(";");  // version
    if (!sc.take(';')) {
      if (!sc.at_end()) return std::nullopt;
      return out;  // the id alone: no checks reported
    }
  }
  for (;;) {
    if (sc.at_end()) break;
    Scanner save = sc;
    if (lower(sc.token(";")) == "none" && (sc.at_end() || sc.peek() == ';')) {
      (void)sc.take(';');
      continue;
    }
    sc = save;
    auto v = verdict(sc);
    if (!v) {
      if (out.verdicts.empty() && out.authserv_id.empty()) return std::nullopt;
      break;  // keep what was well-formed before it
    }
    out.verdicts.push_back(std::move(*v));
    if (!sc.take(';')) break;
  }
  if (sc.broken() && out.verdicts.empty()) return std::nullopt;
  return out;
}

std::string trusted_verdict(const std::vector<AuthResults>& fields, std::string_view authserv_id,
                            std::string_view method) {
  std::string first;
  for (const auto& f : fields) {
    if (!iequals(f.authserv_id, authserv_id)) continue;
    for (const auto& v : f.verdicts) {
      if (v.method != method) continue;
      if (v.result == "pass") return "pass";
      if (first.empty()) first = v.result;
    }
    // The topmost trusted field is the one the trusted host added last: an older one of the
    // same id further down may have come with the message.
    if (!first.empty()) return first;
  }
  return first;
}

}  // namespace mc::proto::mime
