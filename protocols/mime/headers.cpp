#include "protocols/mime/headers.hpp"

#include <cctype>

namespace mc::proto::mime {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<std::string> header_fields(std::string_view block, std::string_view name) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < block.size()) {
    std::size_t eol = block.find('\n', pos);
    if (eol == std::string_view::npos) eol = block.size();
    std::string_view line = block.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the end of the header block
    std::size_t next = eol + 1;
    // A line that starts with white space continues the field before it, whatever it says.
    const bool continuation = line.front() == ' ' || line.front() == '\t';
    const std::size_t colon = line.find(':');
    if (!continuation && colon != std::string_view::npos &&
        iequals(trim(line.substr(0, colon)), name)) {
      std::string value(trim(line.substr(colon + 1)));
      while (next < block.size() && (block[next] == ' ' || block[next] == '\t')) {
        std::size_t e = block.find('\n', next);
        if (e == std::string_view::npos) e = block.size();
        const std::string_view more = trim(block.substr(next, e - next));
        if (!more.empty()) value += (value.empty() ? "" : " ") + std::string(more);
        next = e + 1;
      }
      // A bare CR inside a line is no line end, but no text either: it reads as a space.
      for (char& c : value)
        if (c == '\r') c = ' ';
      out.push_back(std::move(value));
    }
    pos = next;
  }
  return out;
}

}  // namespace mc::proto::mime
