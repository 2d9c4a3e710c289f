// Reporters that write files: the result document (--json), its history (--jsonl) and the
// metrics for node_exporter's textfile collector (--textfile).
#pragma once

#include <ostream>
#include <string>

#include "reporters/reporter.hpp"

namespace mc {

class JsonReporter : public Reporter {
 public:
  explicit JsonReporter(std::string path) : path_(std::move(path)) {}
  std::string name() const override { return "json"; }
  std::optional<std::string> write(const RunResult& run, const ReportContext&) override;

 private:
  std::string path_;  // "-" for stdout
};

class JsonLinesReporter : public Reporter {
 public:
  explicit JsonLinesReporter(std::string path) : path_(std::move(path)) {}
  std::string name() const override { return "jsonl"; }
  std::optional<std::string> write(const RunResult& run, const ReportContext&) override;

 private:
  std::string path_;
};

// node_exporter reads only *.prom files, so the temporary file (same directory, then fsync and
// rename) is never read half-written.
class TextfileReporter : public Reporter {
 public:
  explicit TextfileReporter(std::string path) : path_(std::move(path)) {}
  std::string name() const override { return "textfile"; }
  std::optional<std::string> write(const RunResult& run, const ReportContext& ctx) override;

 private:
  std::string path_;
};

// The Nagios/Icinga plugin output: exactly one line on `out`.
class NagiosReporter : public Reporter {
 public:
  explicit NagiosReporter(std::ostream& out) : out_(out) {}
  std::string name() const override { return "nagios"; }
  std::optional<std::string> write(const RunResult& run, const ReportContext&) override;

 private:
  std::ostream& out_;
};

// "MAILCANARY STATUS - summary | perfdata", following the Nagios plugin guidelines: labels in
// single quotes (a quote doubled), 'label'=value[UOM];warn;crit;min;max, one line.
std::string nagios_line(const RunResult& run);
// The line for a run that could not start (bad file, lock held): UNKNOWN with the reason.
std::string nagios_unknown_line(const std::string& reason);

}  // namespace mc
