// A task machine that runs in the background on a mailbox session: a step started before the
// step that sends the probe (imap.wait's IDLE), still running while the probe is sent, so that
// it sees the delivery the moment the server tells of it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>

#include "scenarios/steps/context.hpp"
#include "scenarios/steps/imap_sessions.hpp"

namespace mc::scn {

class EarlyTask final : public EarlyStart {
 public:
  // Starts `task` on `session`, in the background, until `deadline`.
  static boost::asio::awaitable<std::shared_ptr<EarlyTask>> start(
      MailboxSessions::Session& session, std::unique_ptr<proto::Machine> task,
      Mono::time_point deadline);
  ~EarlyTask() override;

  // Waits until the task is done, and returns what the connection reported.
  boost::asio::awaitable<SessionOutcome> outcome();
  // Closes the connection under the task and waits until it is done.
  boost::asio::awaitable<void> abandon() override;

  proto::Machine& task() { return *task_; }
  MailboxSessions::Session& session() { return session_; }

 private:
  struct Signal;
  EarlyTask(MailboxSessions::Session& session, std::unique_ptr<proto::Machine> task);
  boost::asio::awaitable<void> wait_done();

  MailboxSessions::Session& session_;
  std::unique_ptr<proto::Machine> task_;
  std::unique_ptr<Signal> signal_;
};

}  // namespace mc::scn
