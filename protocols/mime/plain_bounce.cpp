// The bounces that are only text. Two forms are known by the words their software always
// writes, and only in a message a mailer daemon sent:
//   Exim   "This message was created automatically by mail delivery software." A failure
//          lists "The following address(es) failed:", a warning "... has not yet been
//          delivered ..."; each address indented by two spaces, its diagnostic by four; the
//          returned message after "------ This is a copy of the message, including all the
//          headers. ------" (or "... the message's headers. ------").
//   qmail  "Hi. This is the qmail-send program at HOST." Each address as "<addr>:" with its
//          diagnostic on the lines below; the returned message after "--- Below this line is a
//          copy of the message." (or "--- Enclosed are the original headers of the message.").
#include <string>
#include <string_view>
#include <vector>

#include "protocols/mime/dsn_text.hpp"
#include "protocols/mime/headers.hpp"

namespace mc::proto::mime::detail {
namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t eol = text.find('\n', pos);
    const std::size_t end = eol == std::string_view::npos ? text.size() : eol;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    pos = end + 1;
  }
  return out;
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

std::size_t indent(std::string_view line) {
  const std::size_t n = line.find_first_not_of(" \t");
  return n == std::string_view::npos ? line.size() : n;
}

// The marker that starts the returned message; a copy of the body alone carries no header.
bool returned_marker(std::string_view line) {
  if (icontains(line, "without the headers")) return false;
  return icontains(line, "This is a copy of the message") ||
         icontains(line, "Below this line is a copy of the message") ||
         icontains(line, "original headers of the message");
}

// The header block after the marker line, as the text holds it; "" without a marker.
std::string returned_header(const std::vector<std::string_view>& lines) {
  std::size_t i = 0;
  while (i < lines.size() && !returned_marker(lines[i])) ++i;
  if (i == lines.size()) return {};
  ++i;
  while (i < lines.size() && blank(lines[i])) ++i;
  std::string block;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    block.append(lines[i]);
    block += '\n';
  }
  return block;
}

void add(Dsn& d, DsnAction action, std::string_view address, const std::string& diagnostic) {
  if (d.recipients.size() >= kDsnMaxRecipients) return;
  DsnRecipient r;
  r.action = action;
  r.final_recipient = one_line(address_of(address));
  r.diagnostic = one_line(diagnostic);
  r.status = status_in(r.diagnostic);
  r.smtp_code = smtp_code_in(r.diagnostic);
  d.recipients.push_back(std::move(r));
}

// Exim: after a line like "The following address(es) failed:", entries indented by two spaces,
// their diagnostics by four or more, until the text goes on unindented.
void exim_recipients(const std::vector<std::string_view>& lines, DsnAction action, Dsn& d) {
  std::size_t i = 0;
  for (; i < lines.size(); ++i) {
    const std::string_view l = lines[i].substr(0, lines[i].find_last_not_of(" \t") + 1);
    if (!l.empty() && l.back() == ':' && icontains(l, "address") && indent(l) == 0) break;
  }
  std::string address;
  std::string diagnostic;
  bool have = false;
  for (++i; i < lines.size(); ++i) {
    const std::string_view l = lines[i];
    if (blank(l)) continue;
    if (indent(l) == 0 || returned_marker(l)) break;
    if (indent(l) < 4) {
      if (have) add(d, action, address, diagnostic);
      address = std::string(l.substr(indent(l)));
      diagnostic.clear();
      have = true;
    } else {
      diagnostic += (diagnostic.empty() ? "" : " ") + std::string(l.substr(indent(l)));
    }
  }
  if (have) add(d, action, address, diagnostic);
}

// qmail: "<addr>:" lines, each followed by its diagnostic up to an empty line.
void qmail_recipients(const std::vector<std::string_view>& lines, Dsn& d) {
  for (std::size_t i = 0; i < lines.size() && !returned_marker(lines[i]); ++i) {
    const std::string_view l = lines[i];
    if (l.size() < 4 || l.front() != '<' || l.substr(l.size() - 2) != ">:") continue;
    std::string diagnostic;
    std::size_t j = i + 1;
    for (; j < lines.size() && !blank(lines[j]) && !returned_marker(lines[j]); ++j)
      diagnostic += (diagnostic.empty() ? "" : " ") + std::string(lines[j]);
    add(d, DsnAction::failed, l.substr(0, l.size() - 1), diagnostic);
    i = j - 1;
  }
}

std::string qmail_host(std::string_view text) {
  constexpr std::string_view kIntro = "qmail-send program at ";
  std::size_t at = ifind(text, kIntro);
  if (at == std::string_view::npos) return {};
  at += kIntro.size();
  std::string_view host = text.substr(at, text.find_first_of(" \t\r\n", at) - at);
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return one_line(host);
}

std::string from_domain(std::string_view header) {
  const auto from = header_fields(header, "From");
  if (from.empty()) return {};
  const std::string_view address = address_of(from.front());
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : one_line(address.substr(at + 1));
}

}  // namespace

Dsn plain_text_bounce(const Message& m) {
  if (!from_mailer_daemon(m.header)) return {};
  const Leaf* text = nullptr;
  for (const auto& leaf : m.leaves)
    if (text == nullptr && leaf.type.is("text", "plain")) text = &leaf;
  if (text == nullptr) return {};
  const bool exim = icontains(text->content, "created automatically by mail delivery software");
  const bool qmail = icontains(text->content, "This is the qmail-send program at ");
  if (!exim && !qmail) return {};

  Dsn d;
  d.form = DsnForm::plain_text;
  const auto lines = lines_of(text->content);
  if (exim) {
    const DsnAction action = icontains(text->content, "has not yet been delivered")
                                 ? DsnAction::delayed
                                 : DsnAction::failed;
    exim_recipients(lines, action, d);
    d.reporting_mta = from_domain(m.header);
  } else {
    qmail_recipients(lines, d);
    d.reporting_mta = qmail_host(text->content);
  }
  d.returned_headers = returned_header(lines);
  // The returned message may come as an attachment instead.
  for (const auto& leaf : m.leaves) {
    if (!d.returned_headers.empty()) break;
    if (leaf.type.is("message", "rfc822") || leaf.type.is("text", "rfc822-headers"))
      d.returned_headers = std::string(split_entity(leaf.content).header);
  }
  return d;
}

}  // namespace mc::proto::mime::detail
