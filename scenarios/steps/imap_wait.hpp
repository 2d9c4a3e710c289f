// imap.wait: waits until the message with this run's token is in the mailbox, and records when.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"

namespace mc::scn {

struct WaitKeys : StepKeys {
  std::string mailbox = "INBOX";
  std::chrono::milliseconds poll_interval{250};
  bool idle = true;         // IDLE where the server offers it
  bool keep = false;        // the probe is meant to stay in the mailbox (no imap.delete)
  std::string authserv_id;  // whose Authentication-Results count; "" = the server's host name
  // Names of the hops the probe passes, oldest first; empty: hops are labelled by number.
  std::vector<std::string> hops;
};

// One mailbox as the server sees it: the same URL, user and mailbox name.
std::string mailbox_key(const File& file, const Step& step, const std::string& mailbox);

}  // namespace mc::scn
