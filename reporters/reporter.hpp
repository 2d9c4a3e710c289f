// Sinks for a finished run. Each reporter writes the run somewhere on its own; several run in one
// invocation, and one that fails never stops the others: its error is printed on stderr and
// recorded in the result document.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec/time.hpp"
#include "results/result.hpp"

namespace mc {

// What reporters may know beyond the run itself.
struct ReportContext {
  Mono::time_point deadline;  // a reporter that talks to the network must be done by then
  // Per scenario, the last time it succeeded (Unix seconds), kept across runs in the state
  // directory; includes this run's successes.
  std::vector<std::pair<std::string, double>> last_success;
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual std::string name() const = 0;  // "json", "pushgateway", ... for messages
  // Writes the run; returns an error text on failure. Must not throw for I/O problems.
  virtual std::optional<std::string> write(const RunResult& run, const ReportContext& ctx) = 0;
};

// Runs every reporter in order; returns "NAME: error" for each that failed (or threw).
std::vector<std::string> run_reporters(const std::vector<std::unique_ptr<Reporter>>& reporters,
                                       const RunResult& run, const ReportContext& ctx);

}  // namespace mc
