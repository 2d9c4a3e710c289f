// The probe message of smtp.send, and the checks of what a scenario file may put into it.
#include <algorithm>
#include <cctype>

#include "codec/base64.hpp"
#include "scenarios/steps/servers.hpp"
#include "scenarios/steps/smtp_send.hpp"

namespace mc::scn {
namespace {

// RFC 5322 section 2.1.1: a line is at most 998 bytes without its CRLF.
constexpr std::size_t kMaxLine = 998;

// The fields mailcanary writes itself: a file setting them would lose the probe its identity
// (token, Message-ID, Date) or contradict its own keys (from, to, subject) and its MIME type.
constexpr const char* kOwnFields[] = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "X-Mailcanary-Token",
    "X-Mailcanary-Scenario",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
};

// Header values must stay printable ASCII on one line whatever a scenario is called.
std::string header_safe(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '_';
  return out;
}

std::string domain_of(const std::string& address) {
  const auto at = address.rfind('@');
  if (at == std::string::npos || at + 1 == address.size()) return "mailcanary.invalid";
  return header_safe(address.substr(at + 1));
}

bool iequals(const std::string& a, const char* b) {
  const std::string_view bv(b);
  return a.size() == bv.size() && std::equal(a.begin(), a.end(), bv.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// A subject of non-ASCII text as RFC 2047 encoded words, each at most 75 characters, folded.
std::string encoded_subject(const std::string& s) {
  if (ascii(s)) return s;
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t n = std::min<std::size_t>(45, s.size() - i);
    // Never split a UTF-8 sequence: back off to the start of a character.
    while (n > 0 && i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) --n;
    if (n == 0) n = std::min<std::size_t>(45, s.size() - i);
    out += (out.empty() ? "" : "\r\n ") + std::string("=?UTF-8?B?") +
           codec::base64_encode(std::string_view(s).substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

// The body as CRLF lines.
std::string crlf(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (text[i] == '\n') {
      out += "\r\n";
      continue;
    }
    out += text[i];
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

// Text lines that bring `message` up to `size` bytes, the last one cut to fit.
void pad(std::string& message, std::size_t size) {
  static const std::string kLine =
      "This line pads the mailcanary probe to the size its scenario asks for.\r\n";
  // Whole lines while what is left is none or room for a line of its own (at least its CRLF).
  while (message.size() + kLine.size() <= size && size - message.size() - kLine.size() != 1)
    message += kLine;
  if (message.size() + 2 <= size) message += std::string(size - message.size() - 2, '-') + "\r\n";
}

}  // namespace

std::optional<std::string> subject_problem(const std::string& subject) {
  for (unsigned char c : subject)
    if (c < 0x20 || c == 0x7f)
      return "\"" + printable(subject) +
             "\" is not a subject line: give one line without control characters";
  if (subject.size() > 900) return "a subject of more than 900 bytes; shorten it";
  return std::nullopt;
}

std::optional<std::string> extra_header_problem(const std::string& line, std::string& name,
                                                std::string& value) {
  const auto colon = line.find(':');
  name = line.substr(0, colon == std::string::npos ? line.size() : colon);
  if (colon == std::string::npos || name.empty())
    return "\"" + printable(line) + "\" is not a header line; write it as \"Name: value\"";
  for (unsigned char c : name)
    if (c <= 0x20 || c >= 0x7f)
      return "\"" + printable(name) +
             "\" is not a header name: printable ASCII without spaces, like \"X-Probe-Kind\"";
  value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
  for (unsigned char c : value)
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return "the value of " + name + " holds \"" + printable(value) +
             "\": a line break or control character would start another header line; give "
             "one line";
  if (!ascii(value)) return "the value of " + name + " must be ASCII (it is sent unencoded)";
  if (line.size() > kMaxLine) return "a header line of more than 998 bytes; shorten it";
  for (const char* own : kOwnFields)
    if (iequals(name, own))
      return name + " is mailcanary's own header" +
             (iequals(name, "From") || iequals(name, "To") || iequals(name, "Subject")
                  ? std::string("; set it with the step's \"") +
                        static_cast<char>(std::tolower(static_cast<unsigned char>(name[0]))) +
                        name.substr(1) + "\" instead"
                  : std::string("; remove it here"));
  return std::nullopt;
}

std::optional<std::string> body_problem(const std::string& body) {
  std::size_t line = 0;
  for (unsigned char c : body) {
    if (c == '\n') {
      line = 0;
      continue;
    }
    if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
      return "the body holds a control character (\"" + printable(std::string(1, c)) +
             "\"); give plain text";
    if (c >= 0x80) return "the body must be ASCII text (it is sent as us-ascii, unencoded)";
    if (++line > kMaxLine) return "a body line of more than 998 bytes; break it into lines";
  }
  return std::nullopt;
}

std::string build_probe_message(const SendKeys& keys, const std::string& scenario,
                                const std::string& token, Wall::time_point now) {
  std::string to;
  for (const auto& r : keys.to) to += (to.empty() ? "" : ", ") + header_safe(r);
  std::string m;
  m += "From: " + header_safe(keys.from) + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: " +
       (keys.subject ? encoded_subject(*keys.subject)
                     : "mailcanary probe " + header_safe(scenario)) +
       "\r\n";
  m += "Date: " + rfc5322_date(now) + "\r\n";
  m += "Message-ID: <" + token + "@" + domain_of(keys.from) + ">\r\n";
  m += "X-Mailcanary-Token: " + token + "\r\n";
  m += "X-Mailcanary-Scenario: " + header_safe(scenario) + "\r\n";
  for (const auto& [name, value] : keys.headers) m += name + ": " + value + "\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=us-ascii\r\n";
  m += "\r\n";
  if (keys.body) {
    m += crlf(*keys.body);
  } else {
    m += "This message was sent by mailcanary to measure how long mail takes to arrive.\r\n";
    m += "It is deleted automatically once it has been seen.\r\n";
  }
  if (keys.size) pad(m, *keys.size);
  return m;
}

}  // namespace mc::scn
