// What imap.wait makes of the delivered probe's header: the trusted host's Authentication-Results
// verdicts and the spam scores, as details; the verdicts the file expects ("expect": another one
// fails the step as auth_results) and the limits it sets on spam scores ("spam": a score above
// one makes the step WARNING or CRITICAL, as a time threshold does).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "codec/failure.hpp"
#include "results/result.hpp"
#include "scenarios/steps/step.hpp"

namespace mc::scn {

inline constexpr KeySpec kExpectKey{"expect", KeyType::object, "",
                                    "names what the delivered probe must carry: { \"spf\", "
                                    "\"dkim\", \"dmarc\", \"arc\" } verdicts; or { "
                                    "\"bounce\": true }: it must come back as a bounce"};
inline constexpr KeySpec kSpamKey{
    "spam", KeyType::object, "",
    "sets warn and crit limits on the probe's spam scores, for every scanner or per scanner"};

struct SpamLimits {
  std::optional<double> warn;
  std::optional<double> crit;
};

struct WaitExpect {
  std::map<std::string, std::string> verdicts;  // method -> the result it must have, lower case
  SpamLimits spam;                              // for every scanner without limits of its own
  std::map<std::string, SpamLimits> spam_by_source;
  // The probe must bounce: a delivery report about it is the success, and its delay is measured.
  bool bounce = false;
};

// Reads and checks the step's "expect" and "spam".
void load_wait_expect(StepInput& in, WaitExpect& out);

// The probe's header as the mailstore holds it, read with the trust of `authserv_id` ("" trusts
// the fields that name no host): details auth_results and spam_scores, the scenario's
// auth_results and spam_scores, the spam limits applied to `out`'s status; the failure when a
// verdict is not the expected one.
std::optional<Failure> check_probe_header(const std::string& headers,
                                          const std::string& authserv_id, const WaitExpect& expect,
                                          ScenarioResult& scenario, StepResult& out);

}  // namespace mc::scn
