// The phases of one session as the driver lives them: each begins when the machine first acts
// in it and ends when the next begins (or the session ends), on the monotonic clock. Internal to
// transport/.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "transport/driver.hpp"

namespace mc {

class PhaseClock {
 public:
  void enter(const std::string& name) {
    if (name.empty() || (!phases_.empty() && open_ && phases_.back().name == name)) return;
    close();
    phases_.push_back({name, Mono::now(), {}});
    open_ = true;
  }
  void close() {
    if (open_) phases_.back().end = Mono::now();
    open_ = false;
  }
  const std::string& current() const {
    static const std::string none = "connect";
    return phases_.empty() ? none : phases_.back().name;
  }
  // Tells one phase from a later one of the same name (IMAP's capability before and after TLS).
  std::size_t serial() const { return phases_.size(); }
  std::vector<TimedPhase> take() {
    close();
    return std::move(phases_);
  }

 private:
  std::vector<TimedPhase> phases_;
  bool open_ = false;
};

}  // namespace mc
