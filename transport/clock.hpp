// The clock the runner and the steps read and sleep on. The system clock in a run; tests inject
// one that moves only when told, so deadlines, thresholds and late probes are tested without
// waiting.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "codec/time.hpp"

namespace mc {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Mono::time_point now() const = 0;
  virtual Wall::time_point wall_now() const = 0;
  // Returns at `t`, or at once when `t` has passed.
  virtual boost::asio::awaitable<void> sleep_until(Mono::time_point t) = 0;
};

// Mono::now(), Wall::now() and an Asio timer on the awaiting coroutine's executor.
Clock& system_clock();

}  // namespace mc
