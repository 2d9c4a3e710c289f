// smtp.send: submits the probe message, with the token header by which mailcanary recognises it.
#pragma once

#include <string>
#include <vector>

#include "codec/time.hpp"
#include "scenarios/scenario.hpp"

namespace mc::scn {

struct SendKeys : StepKeys {
  std::string from;             // default: the account's user
  std::vector<std::string> to;  // default: the account's user
  std::string ehlo;             // default: this host's name
};

// The probe message: ordinary headers so that filters treat it like user mail, plus the
// X-Mailcanary-Token header that is the only mark by which mailcanary recognises (and deletes) it.
std::string build_probe_message(const SendKeys& keys, const std::string& scenario,
                                const std::string& token, Wall::time_point now);

}  // namespace mc::scn
