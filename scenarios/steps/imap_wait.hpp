// imap.wait: waits until the message with this run's token is in the mailbox, and records when.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"
#include "scenarios/steps/wait_expect.hpp"

namespace mc::scn {

struct WaitKeys : StepKeys {
  std::string mailbox = "INBOX";
  std::chrono::milliseconds poll_interval{250};
  bool idle = true;   // IDLE where the server offers it
  bool keep = false;  // the probe is meant to stay in the mailbox (no imap.delete)
  // Whose Authentication-Results count: nullopt for the server's host name, "" for the fields
  // that name no host (Microsoft 365 writes none).
  std::optional<std::string> authserv_id;
  // Names of the hops the probe passes, oldest first; empty: hops are labelled by number.
  std::vector<std::string> hops;
  WaitExpect expect;  // "expect" and "spam": what the delivered probe must carry
  // What a probe found in the account's Junk mailbox means: "fail" (reason junk), "warn" (the
  // step WARNING) or "ignore"; and the file's name for that mailbox ("" finds it).
  std::string junk = "fail";
  std::string junk_mailbox;
};

// One mailbox as the server sees it: the same URL, user and mailbox name.
std::string mailbox_key(const File& file, const Step& step, const std::string& mailbox);

}  // namespace mc::scn
