// The scores spam scanners write into the header: rspamd, SpamAssassin, Microsoft's SCL.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc::proto::mime {

struct SpamScore {
  std::string source;               // "rspamd", "spamassassin", "microsoft_scl"
  double score = 0;                 // as the scanner wrote it
  std::optional<double> threshold;  // the scanner's own limit, when it says (rspamd, SA)
};

// One score per source, from the topmost field that gives it:
//   rspamd        X-Spamd-Result: default: False [-0.10 / 15.00]; ...   or X-Rspamd-Score: -0.10
//   spamassassin  X-Spam-Status: No, score=-1.9 required=5.0 tests=...
//   microsoft_scl X-MS-Exchange-Organization-SCL: 1   or X-Forefront-Antispam-Report: ...;SCL:1;...
// A field whose number does not parse is skipped.
std::vector<SpamScore> spam_scores(std::string_view header_block);

}  // namespace mc::proto::mime
