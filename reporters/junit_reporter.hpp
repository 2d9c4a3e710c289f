// JUnit XML (--junit): one test suite per run, one test case per scenario, in the dialect that
// GitLab, Jenkins and the GitHub test reporters read. A critical scenario is a <failure>, an
// internal error (UNKNOWN) an <error>; a warning passes with the exceeded threshold in
// <system-out>.
#pragma once

#include <string>

#include "reporters/reporter.hpp"

namespace mc {

class JUnitReporter : public Reporter {
 public:
  explicit JUnitReporter(std::string path) : path_(std::move(path)) {}
  std::string name() const override { return "junit"; }
  // Writes the file atomically (temporary file, fsync, rename); "-" writes to stdout.
  std::optional<std::string> write(const RunResult& run, const ReportContext& ctx) override;

 private:
  std::string path_;
};

// The document itself, for tests and for writing elsewhere.
std::string render_junit(const RunResult& run);

}  // namespace mc
