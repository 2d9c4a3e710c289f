// The certificate expiry thresholds of a step's connection (the server's tls.expiry_warn and
// expiry_crit): how long its chain has left, and what that makes of the step.
#pragma once

#include "results/result.hpp"

namespace mc {

// Records how long the step's certificate has left at `now` (the verified chain's earliest
// expiry, else the leaf's) and the threshold it is within, if any. A step that did not fail
// then becomes a warning or critical, never better than it was; a failed one only carries the
// facts. Returns the status the scenario takes from it: ok, warning or critical.
Status judge_tls_expiry(StepResult& step, Wall::time_point now);

}  // namespace mc
