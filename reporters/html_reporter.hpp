// The HTML report (--html): one self-contained file (inline CSS, no scripts, no external
// resources) with, per scenario, a waterfall of every step and phase on a time axis, the
// delivery wait, thresholds, TLS facts and, for a failed step, the reason, the server's reply
// and the transcript.
#pragma once

#include <string>

#include "reporters/reporter.hpp"

namespace mc {

class HtmlReporter : public Reporter {
 public:
  explicit HtmlReporter(std::string path) : path_(std::move(path)) {}
  std::string name() const override { return "html"; }
  // Writes the file atomically (temporary file, fsync, rename); "-" writes to stdout.
  std::optional<std::string> write(const RunResult& run, const ReportContext& ctx) override;

 private:
  std::string path_;
};

// The document itself, for tests and for writing elsewhere.
std::string render_html(const RunResult& run, const ReportContext& ctx);

}  // namespace mc
