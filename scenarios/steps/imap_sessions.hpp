// The scenario's IMAP sessions. Steps on the same server and account share one authenticated
// session, as a user's mail client keeps one: imap.wait then imap.delete log in once. The login
// is a phase of the step that made it; "session": "new" gives a step a login of its own. A
// session is logged out (a timed phase) after the last step that uses it, or when the scenario
// fails; a session that broke is never used again. A session whose task runs in the background
// (a step started early) is left alone until it is done.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocols/imap.hpp"
#include "scenarios/steps/context.hpp"

namespace mc::scn {

class MailboxSessions {
 public:
  struct Session {
    std::string key;  // server and account; "" for a step's own session ("session": "new")
    std::unique_ptr<proto::imap::Link> link;
    std::unique_ptr<Connection> connection;
    std::size_t mark = 0;     // transcript lines before the current step's part
    bool background = false;  // a task started early runs on it: left alone until it is done
    bool usable() const;
  };

  // The authenticated session for the current step, logging in first when there is none (the
  // connect and login phases go into `out`). nullptr and `failure` when that failed.
  boost::asio::awaitable<Session*> acquire(StepContext& ctx, StepResult& out,
                                           std::optional<Failure>& failure);
  // Runs a task on the session; its phases go into `out`, and on failure the step's part of the
  // transcript. A failure breaks the session for good.
  boost::asio::awaitable<SessionOutcome> run(StepContext& ctx, Session& s, proto::Machine& task,
                                             StepResult& out);
  // What run() does with the outcome of a task, for a task that ran in the background.
  static void finish(StepContext& ctx, Session& s, const SessionOutcome& o, StepResult& out);
  // After the current step: logs out the sessions no later step uses, within the step's
  // deadline. Once the scenario `failed`, only later steps that run after a failure count.
  // Each LOGOUT is a phase of `out`; one that fails (a timeout) is returned.
  boost::asio::awaitable<std::optional<Failure>> release(StepContext& ctx, StepResult& out,
                                                         bool failed);

  std::size_t logins() const { return logins_; }

 private:
  static std::string key_of(const File& file, const Step& step);
  std::vector<std::unique_ptr<Session>> sessions_;
  std::size_t logins_ = 0;
};

}  // namespace mc::scn
