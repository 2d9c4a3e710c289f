#pragma once

#include <ostream>

#include "results/result.hpp"

namespace mc {

// The human-readable summary printed on stdout: one block per scenario, every step and phase
// with its start offset and duration, and the failure with the server's own words.
void print_table(std::ostream& out, const RunResult& run);

}  // namespace mc
