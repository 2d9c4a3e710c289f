#include "protocols/mime/dsn.hpp"

#include <cctype>

#include "protocols/mime/dsn_text.hpp"
#include "protocols/mime/headers.hpp"
#include "protocols/mime/parts.hpp"

namespace mc::proto::mime {

namespace detail {
namespace {

bool digit(char c) {
  return c >= '0' && c <= '9';
}

// A run of 1..3 digits at `i`; returns its end, or npos.
std::size_t digits(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && j - i < 4 && digit(s[j])) ++j;
  return (j == i || j - i > 3) ? std::string_view::npos : j;
}

// The length of a status code at `i` standing alone (no digit or dot around it), or 0.
std::size_t status_at(std::string_view s, std::size_t i) {
  if (i > 0 && (digit(s[i - 1]) || s[i - 1] == '.')) return 0;
  if (i + 1 >= s.size() || (s[i] != '2' && s[i] != '4' && s[i] != '5') || s[i + 1] != '.') return 0;
  std::size_t j = digits(s, i + 2);
  if (j == std::string_view::npos || j >= s.size() || s[j] != '.') return 0;
  j = digits(s, j + 1);
  if (j == std::string_view::npos) return 0;
  if (j < s.size() && (digit(s[j]) || s[j] == '.')) return 0;
  return j - i;
}

}  // namespace

std::string one_line(std::string_view v) {
  std::string out;
  for (char c : v) {
    const bool space = static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
    if (out.size() >= kDsnMaxValue) break;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::size_t ifind(std::string_view hay, std::string_view needle) {
  for (std::size_t at = 0; at + needle.size() <= hay.size(); ++at) {
    std::size_t i = 0;
    while (i < needle.size() && std::tolower(static_cast<unsigned char>(hay[at + i])) ==
                                    std::tolower(static_cast<unsigned char>(needle[i])))
      ++i;
    if (i == needle.size()) return at;
  }
  return std::string_view::npos;
}

bool icontains(std::string_view hay, std::string_view needle) {
  return ifind(hay, needle) != std::string_view::npos;
}

bool is_status(std::string_view s) {
  return !s.empty() && status_at(s, 0) == s.size();
}

std::string status_in(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (const std::size_t n = status_at(text, i)) return std::string(text.substr(i, n));
  return {};
}

int smtp_code_in(std::string_view text) {
  const auto code_at = [&](std::size_t i) {
    if (i + 3 > text.size() || !digit(text[i]) || !digit(text[i + 1]) || !digit(text[i + 2]))
      return 0;
    if (text[i] < '2' || text[i] > '5') return 0;
    if (i + 3 < text.size() && text[i + 3] != ' ' && text[i + 3] != '-') return 0;
    return (text[i] - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
  };
  for (std::size_t i = 0; i + 4 < text.size(); ++i) {
    if (i > 0 && text[i - 1] != ' ' && text[i - 1] != ':') continue;
    const int code = code_at(i);
    if (code != 0 && status_at(text, i + 4) != 0 && text[i + 4] == text[i]) return code;
  }
  return code_at(0);
}

std::string_view address_of(std::string_view value) {
  const auto open = value.rfind('<');
  if (open != std::string_view::npos) {
    const auto close = value.find('>', open);
    if (close != std::string_view::npos) return value.substr(open + 1, close - open - 1);
  }
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

bool from_mailer_daemon(std::string_view header_block) {
  for (const auto& v : header_fields(header_block, "Return-Path"))
    if (address_of(v).empty() && v.find('<') != std::string::npos) return true;
  for (const auto& v : header_fields(header_block, "From")) {
    const std::string_view address = address_of(v);
    const std::string_view local = address.substr(0, address.rfind('@'));
    if (iequals(local, "mailer-daemon") || iequals(local, "postmaster")) return true;
  }
  return false;
}

}  // namespace detail

namespace {

using detail::one_line;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string first(std::string_view block, std::string_view name) {
  auto values = header_fields(block, name);
  return values.empty() ? std::string() : std::move(values.front());
}

// "rfc822; nobody@bounce.test" -> "nobody@bounce.test"; "dns; mx.example.com" -> the name.
std::string without_type(std::string_view v) {
  const auto semi = v.find(';');
  std::string out = one_line(semi == std::string_view::npos ? v : v.substr(semi + 1));
  if (out.size() >= 2 && out.front() == '<' && out.back() == '>')
    out = out.substr(1, out.size() - 2);
  return out;
}

DsnRecipient recipient(std::string_view block) {
  DsnRecipient r;
  const std::string action = first(block, "Action");
  const std::string word = lower(action.substr(0, action.find_first_of(" \t(;")));
  r.action = value_named(kDsnActionNames, word).value_or(DsnAction::unknown);
  const std::string status = first(block, "Status");
  const std::string code = status.substr(0, status.find_first_of(" \t("));
  if (detail::is_status(code)) r.status = code;
  if (r.action == DsnAction::unknown && !r.status.empty() && r.status.front() == '5')
    r.action = DsnAction::failed;
  const std::string diagnostic = first(block, "Diagnostic-Code");
  const auto semi = diagnostic.find(';');
  if (semi != std::string::npos) {
    r.diagnostic_type = one_line(std::string_view(diagnostic).substr(0, semi));
    r.diagnostic = one_line(std::string_view(diagnostic).substr(semi + 1));
  } else {
    r.diagnostic = one_line(diagnostic);
  }
  r.smtp_code = detail::smtp_code_in(r.diagnostic);
  r.final_recipient = without_type(first(block, "Final-Recipient"));
  if (r.final_recipient.empty())
    r.final_recipient = without_type(first(block, "Original-Recipient"));
  r.remote_mta = without_type(first(block, "Remote-MTA"));
  return r;
}

bool is_recipient_block(std::string_view block) {
  for (const char* name : {"Final-Recipient", "Original-Recipient", "Action", "Status"})
    if (!header_fields(block, name).empty()) return true;
  return false;
}

// The message/delivery-status content: the per-message fields, then one block per recipient,
// separated by empty lines (a line of white space only counts as empty).
void read_status(std::string_view content, Dsn& d) {
  std::size_t pos = 0;
  while (pos < content.size() && d.recipients.size() < kDsnMaxRecipients) {
    std::size_t start = pos;
    std::size_t end = pos;  // the block is [start, end)
    while (pos < content.size()) {
      const std::size_t eol = content.find('\n', pos);
      const std::size_t next = eol == std::string_view::npos ? content.size() : eol + 1;
      const std::string_view line = content.substr(pos, next - pos);
      pos = next;
      if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        if (end == start) {  // empty lines before a block
          start = end = pos;
          continue;
        }
        break;
      }
      end = pos;
    }
    const std::string_view block = content.substr(start, end - start);
    if (block.empty()) continue;
    if (is_recipient_block(block)) {
      d.recipients.push_back(recipient(block));
    } else {
      if (d.reporting_mta.empty()) d.reporting_mta = without_type(first(block, "Reporting-MTA"));
      if (d.arrival_date.empty()) d.arrival_date = one_line(first(block, "Arrival-Date"));
    }
  }
}

bool is_status_part(const ContentType& t) {
  return t.is("message", "delivery-status") || t.is("message", "global-delivery-status");
}

bool is_returned_part(const ContentType& t) {
  return t.is("message", "rfc822") || t.is("message", "global") || t.is("text", "rfc822-headers") ||
         t.is("message", "global-headers");
}

}  // namespace

std::string_view to_string(DsnAction a) {
  return name_of(kDsnActionNames, a);
}

bool Dsn::is_bounce() const {
  if (form == DsnForm::none) return false;
  for (const auto& r : recipients)
    if (r.action == DsnAction::failed) return true;
  return false;
}

const DsnRecipient* Dsn::primary() const {
  for (const auto& r : recipients)
    if (r.action == DsnAction::failed) return &r;
  return recipients.empty() ? nullptr : &recipients.front();
}

bool Dsn::returns_token(std::string_view token) const {
  if (form == DsnForm::none || token.empty()) return false;
  for (const auto& v : header_fields(returned_headers, "X-Mailcanary-Token"))
    if (v == token) return true;
  return false;
}

Dsn parse_dsn(std::string_view message) {
  const Message m = parse_message(message.substr(0, kDsnMaxBytes));
  if (!m.type.is("multipart", "report")) return detail::plain_text_bounce(m);
  const std::string report_type = lower(m.type.param("report-type"));
  const Leaf* status = nullptr;
  const Leaf* returned = nullptr;
  for (const auto& leaf : m.leaves) {
    if (status == nullptr && is_status_part(leaf.type)) status = &leaf;
    if (returned == nullptr && is_returned_part(leaf.type)) returned = &leaf;
  }
  // Another report type (a read receipt, an abuse report) is no delivery report; one that
  // names none counts when it holds the delivery-status part.
  const bool delivery = report_type == "delivery-status" || report_type == "global-delivery-status";
  if (!delivery && !(report_type.empty() && status != nullptr)) return {};
  Dsn d;
  d.form = DsnForm::rfc3464;
  if (status != nullptr) read_status(status->content, d);
  if (returned != nullptr) d.returned_headers = std::string(split_entity(returned->content).header);
  return d;
}

bool may_be_dsn(std::string_view header_block) {
  const auto types = header_fields(header_block, "Content-Type");
  if (!types.empty() && parse_content_type(types.front()).is("multipart", "report")) return true;
  return detail::from_mailer_daemon(header_block);
}

ServerReply bounce_reply(const Dsn& dsn) {
  ServerReply r;
  const DsnRecipient* p = dsn.primary();
  if (p != nullptr) {
    r.code = p->smtp_code;
    r.enhanced = p->status;
    r.text = p->diagnostic;
    if (r.text.empty() && !p->final_recipient.empty())
      r.text = "delivery to " + p->final_recipient + " " + std::string(to_string(p->action));
  }
  if (!dsn.reporting_mta.empty())
    r.text += (r.text.empty() ? "" : " ") + std::string("(reported by ") + dsn.reporting_mta + ")";
  return r;
}

}  // namespace mc::proto::mime
