#include "protocols/credentials.hpp"

#include <algorithm>

namespace mc::proto {
namespace {

char upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

std::size_t find_icase(const std::string& text, const std::string& form, std::size_t start) {
  for (std::size_t at = start; at + form.size() <= text.size(); ++at) {
    if (std::equal(form.begin(), form.end(), text.begin() + static_cast<std::ptrdiff_t>(at),
                   [](char a, char b) { return upper(a) == upper(b); }))
      return at;
  }
  return std::string::npos;
}

}  // namespace

Redactor::Redactor(std::vector<std::string> forms) : forms_(std::move(forms)) {
  forms_.erase(std::remove(forms_.begin(), forms_.end(), std::string()), forms_.end());
  std::sort(forms_.begin(), forms_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::operator()(std::string text) const {
  for (const std::string& form : forms_) {
    for (std::size_t at = find_icase(text, form, 0); at != std::string::npos;
         at = find_icase(text, form, at + kRedacted.size())) {
      text.replace(at, form.size(), kRedacted);
    }
  }
  return text;
}

std::string plaintext_refusal(bool starttls_off, std::string_view command) {
  return "the connection is not encrypted (STARTTLS " +
         std::string(starttls_off ? "is off" : "was not offered") +
         "), so the password was not sent; require STARTTLS, or set \"allow_plaintext_auth\": "
         "true on the server to allow " +
         std::string(command) + " in clear";
}

}  // namespace mc::proto
