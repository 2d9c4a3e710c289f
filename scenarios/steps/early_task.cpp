#include "scenarios/steps/early_task.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>

namespace mc::scn {

namespace asio = boost::asio;

// Done when `outcome` is set; whoever waits sleeps on `timer`, which the task cancels when done.
struct EarlyTask::Signal {
  explicit Signal(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::optional<SessionOutcome> outcome;
};

EarlyTask::EarlyTask(MailboxSessions::Session& session, std::unique_ptr<proto::Machine> task)
    : session_(session), task_(std::move(task)) {}

EarlyTask::~EarlyTask() = default;

asio::awaitable<std::shared_ptr<EarlyTask>> EarlyTask::start(MailboxSessions::Session& session,
                                                             std::unique_ptr<proto::Machine> task,
                                                             Mono::time_point deadline) {
  const auto ex = co_await asio::this_coro::executor;
  std::shared_ptr<EarlyTask> self(new EarlyTask(session, std::move(task)));
  self->signal_ = std::make_unique<Signal>(ex);
  session.background = true;
  asio::co_spawn(
      ex,
      [self, deadline]() -> asio::awaitable<void> {
        // co_spawn may run it at once: it starts only once the caller has gone on (to send).
        co_await asio::post(asio::use_awaitable);
        SessionOutcome o;
        try {
          o = co_await self->session_.connection->run(*self->task_, deadline);
        } catch (const std::exception& ex) {
          o.failure = Failure{Reason::internal, "", ex.what(), std::nullopt};
        }
        self->session_.background = false;
        self->signal_->outcome = std::move(o);
        self->signal_->timer.cancel();
      },
      asio::detached);
  co_return self;
}

asio::awaitable<void> EarlyTask::wait_done() {
  while (!signal_->outcome) {
    boost::system::error_code ignored;
    signal_->timer.expires_at(Mono::time_point::max());
    co_await signal_->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

asio::awaitable<SessionOutcome> EarlyTask::outcome() {
  co_await wait_done();
  co_return *signal_->outcome;
}

asio::awaitable<void> EarlyTask::abandon() {
  if (!signal_->outcome) session_.connection->close();
  co_await wait_done();
}

}  // namespace mc::scn
