// The probe's path as imap.wait reports it, from the Received: fields of the header the
// mailstore holds: every hop with its protocol, TLS, date and delay.
#pragma once

#include <string>
#include <vector>

#include "results/result.hpp"

namespace mc::scn {

class StepContext;
class StepInput;

// The `hops` key of imap.wait: a name for each hop the probe passes, oldest first, to label
// the hops in the metrics instead of their numbers. Checked here; empty when not given.
std::vector<std::string> load_hop_names(StepInput& in);

// The `hops` and `hops_unparsed` details of `out`, and the scenario's hops (the HTML
// waterfall, mailcanary_hop_delay_seconds). Hops are labelled with `names` when there is one
// for each hop; otherwise by number, with a warning of the run.
void report_hops(StepContext& ctx, const std::string& headers,
                 const std::vector<std::string>& names, StepResult& out);

}  // namespace mc::scn
