#include "protocols/mime/spam_score.hpp"

#include <charconv>
#include <cmath>

#include "protocols/mime/headers.hpp"

namespace mc::proto::mime {
namespace {

// A decimal number at the start of `s` (after spaces), as scanners print them.
std::optional<double> number(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// The number after `key` (case as written), e.g. "score=" in SpamAssassin's status.
std::optional<double> after(std::string_view s, std::string_view key) {
  const auto at = s.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  return number(s.substr(at + key.size()));
}

std::optional<SpamScore> rspamd(std::string_view block) {
  for (const auto& v : header_fields(block, "X-Spamd-Result")) {
    const auto open = v.find('[');
    const auto slash = v.find('/', open);
    if (open == std::string::npos || slash == std::string::npos) continue;
    auto score = number(std::string_view(v).substr(open + 1));
    if (!score) continue;
    return SpamScore{"rspamd", *score, number(std::string_view(v).substr(slash + 1))};
  }
  for (const auto& v : header_fields(block, "X-Rspamd-Score"))
    if (auto score = number(v)) return SpamScore{"rspamd", *score, std::nullopt};
  return std::nullopt;
}

std::optional<SpamScore> spamassassin(std::string_view block) {
  for (const auto& v : header_fields(block, "X-Spam-Status"))
    if (auto score = after(v, "score="))
      return SpamScore{"spamassassin", *score, after(v, "required=")};
  return std::nullopt;
}

std::optional<SpamScore> microsoft(std::string_view block) {
  for (const auto& v : header_fields(block, "X-MS-Exchange-Organization-SCL"))
    if (auto scl = number(v)) return SpamScore{"microsoft_scl", *scl, std::nullopt};
  for (const auto& v : header_fields(block, "X-Forefront-Antispam-Report")) {
    // "CIP:1.2.3.4;CTRY:;LANG:en;SCL:1;SRV:;..." — SCL after a ';' or at the start.
    std::size_t at = v.rfind("SCL:", 0) == 0 ? 0 : v.find(";SCL:");
    if (at == std::string::npos) continue;
    if (at != 0) ++at;
    if (auto scl = number(std::string_view(v).substr(at + 4)))
      return SpamScore{"microsoft_scl", *scl, std::nullopt};
  }
  return std::nullopt;
}

}  // namespace

std::vector<SpamScore> spam_scores(std::string_view header_block) {
  std::vector<SpamScore> out;
  for (auto s : {rspamd(header_block), spamassassin(header_block), microsoft(header_block)})
    if (s) out.push_back(std::move(*s));
  return out;
}

}  // namespace mc::proto::mime
