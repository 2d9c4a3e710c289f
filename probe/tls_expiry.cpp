#include "probe/tls_expiry.hpp"

namespace mc {
namespace {

int rank(const std::string& step_status) {
  if (step_status == "warning") return 1;
  if (step_status == "critical") return 2;
  return 0;
}

}  // namespace

Status judge_tls_expiry(StepResult& step, Wall::time_point now) {
  if (!step.tls) return Status::ok;
  TlsFacts& t = *step.tls;
  const auto& when = t.chain_not_after ? t.chain_not_after : t.cert_not_after;
  if (!when) return Status::ok;
  const double left = std::chrono::duration<double>(*when - now).count();
  t.expiry_left_s = left;
  // At the threshold is within it: "expiry_crit": "7d" alarms on the day seven days are left.
  if (t.expiry_crit_s && left <= *t.expiry_crit_s)
    t.expiry_threshold = "crit";
  else if (t.expiry_warn_s && left <= *t.expiry_warn_s)
    t.expiry_threshold = "warn";
  else
    return Status::ok;
  if (step.status == "failed" || step.status == "skipped") return Status::ok;
  const bool crit = *t.expiry_threshold == "crit";
  const std::string status = crit ? "critical" : "warning";
  if (rank(status) > rank(step.status)) step.status = status;
  return crit ? Status::critical : Status::warning;
}

}  // namespace mc
