// Runs the selected scenarios of loaded files concurrently on one event loop, and builds the
// RunResult. Probes that a scenario could not finish with are kept in the state directory and
// looked for again by later runs of the same scenario.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "results/result.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/steps/servers.hpp"  // local_host_name()

namespace mc {

class Clock;
class Transport;

struct RunOptions {
  std::string vantage;                                // overrides the files' vantage when set
  std::vector<std::string> scenarios;                 // only these; empty = all
  std::optional<std::chrono::milliseconds> deadline;  // bounds the whole run
  bool verbose = false;                               // live transcript on stderr
  std::size_t max_concurrency = 32;                   // scenarios in flight at once
  std::string state_dir;                              // empty: no late/lost tracking
  std::chrono::milliseconds lost_after{std::chrono::hours(1)};  // pending probe -> lost
  // What loading the files warned about; every run's result document lists it.
  std::vector<std::string> file_warnings;
  // Set from another thread to stop the run at once; its result is then incomplete.
  const std::atomic<bool>* abandon = nullptr;
  // What the run reads the time from and reaches servers through: the system clock and the
  // socket driver unless a test injects its own.
  Clock* clock = nullptr;
  Transport* transport = nullptr;
};

// Scenario starts are spread by this much each (at most 2 s in all), so that a run of many
// scenarios does not hit a platform in one burst.
std::chrono::milliseconds start_spacing(std::size_t scenarios);

RunResult run_scenarios(const std::vector<scn::File>& files, const RunOptions& options);

}  // namespace mc
