// What an http.get step sends and reads besides the request itself: form values with
// placeholders ({user}, {password}, or a value captured from an earlier response), the
// urlencoded form body, and the regular expressions that check and capture from a response.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc::proto::http {

// One piece of a form value: literal text, or a placeholder's name.
struct TemplatePart {
  bool placeholder = false;
  std::string text;
};

// Splits "{user}@x{{y}}" into parts; "{{" and "}}" are literal braces. A placeholder name is
// letters, digits, '_' and '-'. The error says what is wrong and where.
std::optional<std::string> parse_template(std::string_view value, std::vector<TemplatePart>& out);

// The value with every placeholder replaced from `values`; a name it lacks goes to `missing`.
std::string expand(const std::vector<TemplatePart>& parts,
                   const std::map<std::string, std::string>& values, std::string* missing);

// application/x-www-form-urlencoded, fields in the order given.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

// The pattern compiles (Perl syntax); else why not.
std::optional<std::string> regex_error(const std::string& pattern);

struct RegexResult {
  bool matched = false;
  std::string capture;               // the first group (the whole match without one)
  std::optional<std::string> error;  // too complex for the input
};

// Searches `text` for `pattern` (which regex_error accepted), without recursion and within a
// bounded effort, so that a hostile page cannot exhaust the probe's stack or time.
RegexResult regex_search(std::string_view text, const std::string& pattern);

// A captured value as a page writes it in an attribute: &amp; &lt; &gt; &quot; &#39; &#NN;
// decoded.
std::string html_unescape(std::string_view s);

}  // namespace mc::proto::http
