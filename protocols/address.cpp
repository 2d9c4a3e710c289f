#include "protocols/address.hpp"

#include <vector>

#include "protocols/smtp/text.hpp"

namespace mc::proto::smtp {
namespace {

using detail::is_digit;
using detail::split;

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_let_dig(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c);
}

std::optional<std::string> local_part_problem(std::string_view local) {
  if (local.empty()) return "the part before the @ is empty";
  if (local.size() > 64) return "the part before the @ is longer than 64 characters";
  if (local.front() == '"') {
    if (local.size() < 2 || local.back() != '"')
      return "the quoted part before the @ is not closed";
    for (std::size_t i = 1; i + 1 < local.size(); ++i) {
      const auto u = static_cast<unsigned char>(local[i]);
      if (local[i] == '\\') {
        // quoted-pairSMTP: a backslash, then one printable character or a space
        if (++i + 1 >= local.size()) return "a backslash ends the quoted part before the @";
        const auto next = static_cast<unsigned char>(local[i]);
        if (next < 0x20 || next > 0x7e)
          return "the quoted part before the @ holds a control character";
        continue;
      }
      if (local[i] == '"') return "a double quote inside the quoted part needs a backslash";
      if (u < 0x20 || u == 0x7f) return "the quoted part before the @ holds a control character";
    }
    return std::nullopt;
  }
  bool dot_allowed = false;
  for (char c : local) {
    if (c == '.') {
      if (!dot_allowed) return "dots before the @ may not lead, trail or repeat (write it quoted)";
      dot_allowed = false;
      continue;
    }
    if (!is_atext(c))
      return std::string("'") + c + "' is not allowed before the @ unless the part is quoted";
    dot_allowed = true;
  }
  if (!dot_allowed) return "dots before the @ may not lead, trail or repeat (write it quoted)";
  return std::nullopt;
}

std::optional<std::string> domain_problem(std::string_view domain) {
  if (domain.empty()) return "the domain after the @ is empty";
  if (domain.size() > 255) return "the domain is longer than 255 characters";
  if (domain.front() == '[') {
    if (domain.back() != ']') return "the address literal is not closed by ]";
    if (domain.size() == 2) return "the address literal [] is empty";
    for (char c : domain.substr(1, domain.size() - 2)) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7f || c == '[' || c == ']' || c == '\\')
        return "the address literal holds a character that is not allowed";
    }
    return std::nullopt;
  }
  for (std::string_view label : split(domain, '.')) {
    if (label.empty()) return "the domain has an empty label (a leading, trailing or double dot)";
    if (label.size() > 63) return "a label of the domain is longer than 63 characters";
    if (!is_let_dig(label.front()) || !is_let_dig(label.back()))
      return "a label of the domain must start and end with a letter or digit";
    for (char c : label)
      if (!is_let_dig(c) && c != '-')
        return std::string("'") + c + "' is not allowed in a domain name";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> address_problem(std::string_view address) {
  if (address.find_first_of("\r\n") != std::string_view::npos)
    return "it contains a line break (CR or LF), which would end the SMTP command early";
  if (address.find('\0') != std::string_view::npos) return "it contains a NUL byte";
  for (char c : address) {
    if (static_cast<unsigned char>(c) >= 0x80)
      return "it has non-ASCII characters, which need SMTPUTF8, and mailcanary sends plain "
             "SMTP; write the domain in its xn-- form";
  }
  if (address.empty()) return "it is empty";
  if (address.size() > 254) return "it is longer than the 254 characters SMTP allows";
  if (address.front() == '<' || address.back() == '>')
    return "write it without angle brackets: mailcanary adds them";
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return "it has no @; write it like probe@example.test";
  if (auto p = local_part_problem(address.substr(0, at))) return p;
  return domain_problem(address.substr(at + 1));
}

}  // namespace mc::proto::smtp
