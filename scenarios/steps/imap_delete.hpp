// imap.delete: deletes exactly what the imap.wait before it found, by UID, and nothing else.
#pragma once

#include <string>

#include "scenarios/scenario.hpp"

namespace mc::scn {

struct DeleteKeys : StepKeys {
  std::string mailbox = "INBOX";  // default: the imap.wait's
};

}  // namespace mc::scn
