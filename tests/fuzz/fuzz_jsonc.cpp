// parse_jsonc and map_source, which must agree on where every value of a scenario file is.
//
// Asserts beyond "no crash" (and no exception escaping):
// - a rejected document gets a line and column inside the text and a message;
// - for an accepted document no deeper than 64 levels, every value of the parsed document has
//   an entry in the SourceMap under its path as map_source names them ("a.b", "a[0]", the root
//   ""; keys as decoded strings), at an offset inside the text; where the path names one value
//   only, that offset is at a character that starts a value of its type ('{', '[', '"', a digit
//   or '-', t, f, n). So a problem found in the document is reported where it is in the file;
// - line_column gives a line and column of at least 1 for any offset.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "scenarios/jsonc.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using nlohmann::json;

constexpr int kMaxDepth = 64;

int depth(const json& j, int limit) {
  if (limit < 0 || !j.is_structured()) return 0;
  int deepest = 0;
  for (const auto& child : j) deepest = std::max(deepest, depth(child, limit - 1));
  return deepest + 1;
}

bool starts_value(const json& j, char c) {
  switch (j.type()) {
    case json::value_t::object:
      return c == '{';
    case json::value_t::array:
      return c == '[';
    case json::value_t::string:
      return c == '"';
    case json::value_t::boolean:
      return c == (j.get<bool>() ? 't' : 'f');
    case json::value_t::null:
      return c == 'n';
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return c == '-' || (c >= '0' && c <= '9');
    default:
      return false;
  }
}

// Every path of `j`, with how often it occurs: a key "a.b" and a member b of a share one.
void paths(const json& j, const std::string& path, std::map<std::string, const json*>& out,
           std::map<std::string, int>& count) {
  out[path] = &j;
  ++count[path];
  if (j.is_object()) {
    for (const auto& [key, value] : j.items())
      paths(value, path.empty() ? key : path + "." + key, out, count);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i)
      paths(j[i], path + "[" + std::to_string(i) + "]", out, count);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n';

  int line = 0, column = 0;
  mc::scn::line_column(text, size + 7, line, column);
  check(line >= 1 && column >= 1 && static_cast<std::size_t>(line) <= lines,
        "line_column out of the text");

  mc::scn::ParseError error;
  const std::optional<json> doc = mc::scn::parse_jsonc(text, error);
  if (!doc) {
    check(error.line >= 1 && error.column >= 1 && static_cast<std::size_t>(error.line) <= lines,
          "parse error placed outside the text", error.message);
    check(!error.message.empty(), "parse error without a message");
    return 0;
  }
  if (depth(*doc, kMaxDepth + 1) > kMaxDepth) return 0;

  const mc::scn::SourceMap map = mc::scn::map_source(text);
  std::map<std::string, const json*> values;
  std::map<std::string, int> count;
  paths(*doc, "", values, count);
  for (const auto& [path, value] : values) {
    const auto place = map.places.find(path);
    check(place != map.places.end(), "a value has no place in the SourceMap", path);
    const std::size_t at = place->second.value;
    check(at < text.size(), "a value's place is outside the text", path);
    mc::scn::line_column(text, at, line, column);
    check(line >= 1 && column >= 1, "line_column below 1");
    // A key that repeats leaves the places of the dropped value behind, and a key "a.b" shares
    // a path with a member b of a: only an unambiguous place says which value it is.
    if (count[path] == 1 && map.duplicates.empty())
      check(starts_value(*value, text[at]), "a value's place is not where the value starts",
            path + " at " + std::to_string(at) + ": " + text.substr(at, 40));
  }
  return 0;
}
