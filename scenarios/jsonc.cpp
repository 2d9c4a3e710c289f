#include "scenarios/jsonc.hpp"

namespace mc::scn {

void line_column(const std::string& text, std::size_t offset, int& line, int& column) {
  line = 1;
  column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
}

std::optional<nlohmann::json> parse_jsonc(const std::string& text, ParseError& error) {
  try {
    return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/true,
                                 /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    line_column(text, e.byte > 0 ? e.byte - 1 : 0, error.line, error.column);
    std::string what = e.what();
    // Drop the library's "[json.exception.parse_error.101] parse error at line 1, column 2: "
    // prefix; the caller names the place itself.
    const auto colon = what.find(": ");
    error.message = colon == std::string::npos ? what : what.substr(colon + 2);
    return std::nullopt;
  }
}

}  // namespace mc::scn
