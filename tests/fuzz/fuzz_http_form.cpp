// What http.get reads from a file and from a hostile page (protocols/http/form.hpp): form-value
// templates, the urlencoded body, the entity decoding of a captured value, and the capture and
// check patterns searched over a page's body. The first byte picks the part; the rest is the
// input.
//
// Asserts beyond "no crash":
// - parse_template either fails with a message or gives parts that expand back to the value
//   (each placeholder to "{name}", braces doubled), and a placeholder's name is letters, digits,
//   '_' and '-'; expand names in `missing` a placeholder the values lack;
// - form_encode writes only letters, digits, '-', '_', '.', '*', '%XX', '+', '=' and '&', and
//   decodes back to the fields;
// - html_unescape never lengthens its input, and leaves text without '&' as it is;
// - a page searched with the patterns operators write (Roundcube's token, a title) matches,
//   does not, or says it was too complex, never throws; a capture is a substring of the page.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/http/form.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using namespace mc::proto::http;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

void templates(std::string_view value) {
  std::vector<TemplatePart> parts;
  if (const auto error = parse_template(value, parts)) {
    check(!error->empty(), "a template refused without a message", value);
    return;
  }
  // Every placeholder written back as "{name}", literal braces doubled: the value again.
  std::map<std::string, std::string> values;
  std::string again;
  for (const auto& p : parts) {
    if (!p.placeholder) {
      for (char c : p.text) again += c == '{' ? "{{" : c == '}' ? "}}" : std::string(1, c);
      continue;
    }
    check(!p.text.empty(), "an empty placeholder name", value);
    for (char c : p.text) check(name_char(c), "a placeholder name with another character", p.text);
    values[p.text] = "{" + p.text + "}";
    again += "{" + p.text + "}";
  }
  check(again == value, "the parts do not give the value back", value);
  std::string missing;
  std::string expanded = expand(parts, values, &missing);
  check(missing.empty(), "a placeholder missing although every one has a value", missing);
  bool any = false;
  for (const auto& p : parts) any = any || p.placeholder;
  if (any) {
    missing.clear();
    (void)expand(parts, {}, &missing);
    check(!missing.empty(), "no placeholder named missing when none has a value", value);
  }
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      check(i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0,
            "a '%' without two upper-case hex digits", s);
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void forms(std::string_view input) {
  // Fields split at NUL bytes, name and value at the first '\x01'.
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t start = 0;
  while (start <= input.size() && fields.size() < 64) {
    const auto end = std::min(input.find('\0', start), input.size());
    const std::string_view f = input.substr(start, end - start);
    const auto eq = f.find('\x01');
    fields.emplace_back(std::string(f.substr(0, eq)),
                        eq == std::string_view::npos ? "" : std::string(f.substr(eq + 1)));
    start = end + 1;
  }
  const std::string body = form_encode(fields);
  for (char c : body) {
    const bool ok =
        name_char(c) || c == '.' || c == '*' || c == '%' || c == '+' || c == '=' || c == '&';
    check(ok, "a character form_encode should have escaped", body);
  }
  std::vector<std::pair<std::string, std::string>> back;
  std::size_t at = 0;
  while (at <= body.size() && back.size() < fields.size()) {
    const auto amp = std::min(body.find('&', at), body.size());
    const std::string_view pair = std::string_view(body).substr(at, amp - at);
    const auto eq = pair.find('=');
    check(eq != std::string_view::npos, "a field without '='", pair);
    back.emplace_back(decode(pair.substr(0, eq)), decode(pair.substr(eq + 1)));
    at = amp + 1;
  }
  check(back == fields, "the body does not decode back to the fields", body);
}

void entities(std::string_view s) {
  const std::string out = html_unescape(s);
  check(out.size() <= s.size(), "html_unescape lengthened its input", s);
  if (s.find('&') == std::string_view::npos) check(out == s, "text without '&' changed", s);
}

void pages(std::string_view page) {
  static const std::string kPatterns[] = {
      R"re(name="_token" value="([^"]+)")re",
      R"re(<title>([^<]*) :: Inbox</title>)re",
      R"re(csrf[-_]token["']?\s*[:=]\s*["']([A-Za-z0-9+/=_-]{8,}))re",
  };
  for (const auto& pattern : kPatterns) {
    const RegexResult r = regex_search(page, pattern);
    if (r.error) {
      check(!r.matched, "a match and an error at once", pattern);
      continue;
    }
    if (r.matched)
      check(page.find(r.capture) != std::string_view::npos, "a capture that is not in the page",
            r.capture);
    else
      check(r.capture.empty(), "a capture without a match", r.capture);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      templates(input);
      break;
    case 1:
      forms(input);
      break;
    case 2:
      entities(input);
      break;
    default:
      pages(input);
      break;
  }
  return 0;
}
