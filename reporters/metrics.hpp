// The metrics of a run in the Prometheus text exposition format (version 0.0.4): gauges in base
// units, no timestamps, LF line ends, label values escaped. One renderer for the Pushgateway and
// node_exporter's textfile collector, so both always say the same.
#pragma once

#include <string>

#include "reporters/reporter.hpp"
#include "results/result.hpp"

namespace mc {

// `with_vantage_label`: the textfile needs the vantage as a label on every series; through the
// Pushgateway it comes from the grouping key instead.
std::string render_metrics(const RunResult& run, const ReportContext& ctx, bool with_vantage_label);

// A label value escaped for the text format: backslash, double quote and line feed.
std::string escape_label_value(const std::string& v);

// A scenario succeeded when it ran to the end without a failure (a threshold exceeded still
// counts as a success: the mail got through, slowly).
bool scenario_succeeded(const ScenarioResult& sc);

}  // namespace mc
