// The WebDAV multistatus reader of protocols/http/multistatus.hpp on arbitrary XML.
//
// Asserts beyond "no crash":
// - an error or responses, never both; at most kMaxDavResponses responses;
// - every href and display name within kMaxDavText bytes, without leading or trailing blanks;
// - resources_of a collection type lists only responses that carry that exact type;
// - reading the same text again gives the same reading.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/http/multistatus.hpp"
#include "tests/fuzz/harness.hpp"

namespace http = mc::proto::http;
using mc::fuzz::check;

namespace {

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void check_text(const std::string& s, std::string_view input, const char* what) {
  check(s.size() <= http::kMaxDavText, what, input);
  if (!s.empty()) check(!blank(s.front()) && !blank(s.back()), what, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  const auto m = http::read_multistatus(xml);
  if (m.error) {
    check(m.responses.empty(), "responses beside an error", xml);
    check(!m.error->empty(), "an empty error", xml);
    return 0;
  }
  check(m.responses.size() <= http::kMaxDavResponses, "too many responses", xml);
  for (const auto& r : m.responses) {
    check_text(r.href, xml, "href over the limit or not trimmed");
    check_text(r.displayname, xml, "display name over the limit or not trimmed");
  }
  for (const char* kind : {"calendar", "addressbook"}) {
    const auto type = *http::collection_type(kind);
    std::size_t with = 0;
    for (const auto& r : m.responses)
      for (const auto& t : r.types)
        if (t == type) {
          ++with;
          break;
        }
    const auto found = http::resources_of(m, type);
    check(found.size() == with, "resources_of disagrees with the types", xml);
  }
  const auto again = http::read_multistatus(xml);
  check(!again.error && again.responses.size() == m.responses.size(), "not deterministic", xml);
  return 0;
}
