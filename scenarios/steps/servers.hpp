// Small helpers the step kinds share: the host name EHLO defaults to, the checks of a step that
// logs in to a mailbox, control characters shown escaped in messages.
#pragma once

#include <string>

#include "scenarios/scenario.hpp"

namespace mc {
std::string local_host_name();
}

namespace mc::scn {

class StepInput;

// A step that logs in to a mailbox: it needs an imap:// or imaps:// server and an account, and
// the password must not cross without TLS.
void check_mailbox_login(StepInput& in, const Step& s);

// "a\r\nb" as a\r\nb: a value with line breaks quoted on one line of a message.
std::string printable(const std::string& text);

}  // namespace mc::scn
