// The header-field readers of protocols/mime/ on arbitrary text: header_fields, the
// Authentication-Results parser and the spam-score reader.
//
// Asserts beyond "no crash":
// - header_fields returns values without CR or LF, and never reads past the first empty line;
// - every verdict parse_auth_results returns has a non-empty, lower-case method and result;
// - trusted_verdict returns either "" or the result of a verdict of a field with that id;
// - every spam score is finite, and its source one of the three known.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/mime/auth_results.hpp"
#include "protocols/mime/headers.hpp"
#include "protocols/mime/spam_score.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using namespace mc::proto::mime;

bool lower_case(const std::string& s) {
  for (char c : s)
    if (c >= 'A' && c <= 'Z') return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto fields = header_fields(text, "Authentication-Results");
  // Whatever follows an empty line is the body: a field there is never read.
  const std::string ended = text + "\n\n";
  check(header_fields(ended, "Authentication-Results") ==
            header_fields(ended + "Authentication-Results: body.example; dkim=pass\n",
                          "Authentication-Results"),
        "a field read from the body");
  std::vector<AuthResults> parsed;
  for (const auto& v : fields) {
    check(v.find_first_of("\r\n") == std::string::npos, "an unfolded value holds CR or LF", v);
    if (auto r = parse_auth_results(v)) {
      for (const auto& verdict : r->verdicts) {
        check(!verdict.method.empty() && !verdict.result.empty(), "an empty method or result", v);
        check(lower_case(verdict.method) && lower_case(verdict.result),
              "a method or result not in lower case", v);
      }
      parsed.push_back(*r);
    }
  }
  (void)parse_auth_results(text);  // the raw text as one value
  for (const auto& f : parsed) {
    for (const char* method : {"spf", "dkim", "dmarc", "arc"}) {
      const std::string v = trusted_verdict(parsed, f.authserv_id, method);
      if (v.empty()) continue;
      bool known = false;
      for (const auto& g : parsed)
        for (const auto& verdict : g.verdicts)
          known = known || (verdict.method == method && verdict.result == v);
      check(known, "trusted_verdict returned a result no verdict has", v);
    }
  }
  for (const auto& s : spam_scores(text)) {
    check(std::isfinite(s.score), "a score that is not finite", s.source);
    check(!s.threshold || std::isfinite(*s.threshold), "a threshold that is not finite", s.source);
    check(s.source == "rspamd" || s.source == "spamassassin" || s.source == "microsoft_scl",
          "an unknown source", s.source);
  }
  return 0;
}
