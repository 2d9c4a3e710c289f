// Scenario files are JSON with // and /* */ comments. Parse errors name file, line and column.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mc::scn {

struct ParseError {
  int line = 0;
  int column = 0;
  std::string message;  // what is wrong, and a hint where a common mistake fits
};

// Parses `text`; on failure fills `error` and returns nullopt.
std::optional<nlohmann::json> parse_jsonc(const std::string& text, ParseError& error);

// 1-based line and column of a byte offset in `text`.
void line_column(const std::string& text, std::size_t offset, int& line, int& column);

// Where each value of a document sits in its text, by JSON path ("version",
// "servers.store.url", "scenarios[0].steps[1]"; the root is ""), so that problems found in the
// parsed document can name a line and column. Also the keys an object repeats: the parser keeps
// only the last of them, so the first value would be dropped without a word.
struct SourceMap {
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  struct Place {
    std::size_t key = npos;  // byte offset of the member's key; npos for array elements
    std::size_t value = 0;   // byte offset of the value's first character
  };
  struct Duplicate {
    std::string path;  // path of the repeated member
    std::string key;
    std::size_t offset = 0;  // the repeated key
    std::size_t first = 0;   // its first occurrence
  };
  std::map<std::string, Place> places;
  std::vector<Duplicate> duplicates;  // in text order
};

// Maps `text`, which parse_jsonc has accepted.
SourceMap map_source(const std::string& text);

}  // namespace mc::scn
