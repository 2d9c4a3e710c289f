// pop3.wait and pop3.delete: their keys, and the one POP3 session both run (a connection, a
// login, the maildrop's commands, QUIT), timed into the step's phases.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "protocols/pop3/client.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/steps/context.hpp"

namespace mc::scn {

struct Pop3WaitKeys : StepKeys {
  // Each round is a session of its own (a login): longer than imap.wait's poll.
  std::chrono::milliseconds poll_interval{1000};
  bool keep = false;  // the probe is meant to stay in the maildrop (no pop3.delete)
};

struct Pop3DeleteKeys : StepKeys {};

// The login half of a session's configuration, from the step's server and account.
proto::pop3::Config pop3_config(const StepContext& ctx, const Step& step);

// One session on a connection of its own: its phases, address and TLS go into `out`, and on
// failure its transcript.
boost::asio::awaitable<SessionOutcome> run_pop3(StepContext& ctx, const Step& step,
                                                proto::pop3::Client& client, StepResult& out);

// The maildrop as a probe mailbox: the server's URL, the user, "INBOX".
std::string pop3_mailbox_key(const File& file, const Step& step);

}  // namespace mc::scn
