// What survives between runs, in the state directory: the run lock, and the probes that were
// accepted by SMTP but not found (or not deleted) before their run ended. Later runs look for
// those again, report them as late or lost, and delete them, so no probe is left in a mailbox.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "codec/time.hpp"

namespace mc {

// $XDG_STATE_HOME/mailcanary or ~/.local/state/mailcanary; /var/lib/mailcanary for root.
std::string default_state_dir();

// An exclusive flock on STATE_DIR/run.lock, held for the life of the object (and released by
// the kernel when the process dies, however it dies).
class RunLock {
 public:
  // Creates the directory if needed. On failure, returns nullopt and an error text in `error`
  // that says who holds the lock.
  static std::optional<RunLock> acquire(const std::string& state_dir, std::string& error);
  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// A probe that a run could not finish with.
struct PendingProbe {
  std::string token;
  std::string file;      // the scenario file it came from, for people reading the state
  std::string scenario;  // scenario name: what later runs match it by
  Wall::time_point queued_at{};
  bool seen = false;  // imap.wait found it, only deleting it failed: not late, just left behind
};

class PendingStore {
 public:
  explicit PendingStore(std::string state_dir);
  // Every readable pending probe. A corrupt file is moved to pending/corrupt/ and described in
  // `problems`; it never stops the run.
  std::vector<PendingProbe> load(std::vector<std::string>& problems) const;
  std::optional<std::string> save(const PendingProbe& p) const;  // atomically; error text
  void remove(const std::string& token) const;
  std::string path_of(const std::string& token) const;

 private:
  std::string dir_;
};

// When each scenario last succeeded (Unix seconds), for the metric that must survive failed
// runs: STATE_DIR/last_success.json.
class LastSuccessStore {
 public:
  explicit LastSuccessStore(std::string state_dir);
  // Records `now` for every scenario in `succeeded`, saves, and returns every known entry. A
  // corrupt file is set aside (described in `problems`) and started afresh.
  std::vector<std::pair<std::string, double>> update(const std::vector<std::string>& succeeded,
                                                     double now,
                                                     std::vector<std::string>& problems) const;

 private:
  std::string path_;
};

}  // namespace mc
