// Scenario files are JSON with // and /* */ comments. Parse errors name file, line and column.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace mc::scn {

struct ParseError {
  int line = 0;
  int column = 0;
  std::string message;
};

// Parses `text`; on failure fills `error` and returns nullopt.
std::optional<nlohmann::json> parse_jsonc(const std::string& text, ParseError& error);

// 1-based line and column of a byte offset in `text`.
void line_column(const std::string& text, std::size_t offset, int& line, int& column);

}  // namespace mc::scn
