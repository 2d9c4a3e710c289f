#include "transport/clock.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mc {
namespace {

namespace asio = boost::asio;

class SystemClock final : public Clock {
 public:
  Mono::time_point now() const override { return Mono::now(); }
  Wall::time_point wall_now() const override { return Wall::now(); }
  asio::awaitable<void> sleep_until(Mono::time_point t) override {
    if (Mono::now() >= t) co_return;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_at(t);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
};

}  // namespace

Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

}  // namespace mc
