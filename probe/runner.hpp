// Runs the selected scenarios of loaded files, all on one event loop, and builds the RunResult.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "probe/result.hpp"
#include "scenarios/scenario.hpp"

namespace mc {

struct RunOptions {
  std::string vantage;                                // overrides the files' vantage when set
  std::vector<std::string> scenarios;                 // only these; empty = all
  std::optional<std::chrono::milliseconds> deadline;  // bounds the whole run
  bool verbose = false;                               // live transcript on stderr
};

RunResult run_scenarios(const std::vector<scn::File>& files, const RunOptions& options);

std::string local_host_name();

}  // namespace mc
