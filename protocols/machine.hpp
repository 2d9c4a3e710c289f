// The sans-I/O contract between a protocol state machine and the one driver that owns sockets.
// A machine never touches the network or a clock: it is told what happened (bytes arrived, a
// write finished, TLS is up, a wait elapsed) and answers with the next Action.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "protocols/failure.hpp"

namespace mc::proto {

struct Action {
  enum class Kind {
    write,      // send `data`
    read,       // deliver more bytes with on_input()
    start_tls,  // run the TLS handshake on the connection, then on_tls()
    wait,       // let `wait` elapse (polling), then on_waited()
    done,       // finished: `failure` empty on success
  };
  Kind kind = Kind::done;
  std::string phase;  // the contract's phase name this action belongs to
  std::string data;   // bytes to write
  std::chrono::milliseconds wait{0};
  std::optional<Failure> failure;

  static Action write(std::string phase, std::string bytes) {
    return {Kind::write, std::move(phase), std::move(bytes), {}, {}};
  }
  static Action read(std::string phase) { return {Kind::read, std::move(phase), {}, {}, {}}; }
  static Action start_tls(std::string phase) {
    return {Kind::start_tls, std::move(phase), {}, {}, {}};
  }
  static Action sleep(std::string phase, std::chrono::milliseconds d) {
    return {Kind::wait, std::move(phase), {}, d, {}};
  }
  static Action finish() { return {Kind::done, {}, {}, {}, {}}; }
  static Action fail(Failure f) {
    std::string phase = f.phase;
    return {Kind::done, std::move(phase), {}, {}, std::move(f)};
  }
};

// The protocol transcript, kept by the machine that knows which bytes are secret. Secrets are
// replaced before they are recorded, so nothing downstream can leak them.
struct TranscriptLine {
  enum class Dir { client, server, note };
  Dir dir;
  std::string text;
};

class Transcript {
 public:
  explicit Transcript(std::size_t max_lines = 400) : max_lines_(max_lines) {}
  void client(std::string text) { add(TranscriptLine::Dir::client, std::move(text)); }
  void server(std::string text) { add(TranscriptLine::Dir::server, std::move(text)); }
  void note(std::string text) { add(TranscriptLine::Dir::note, std::move(text)); }
  const std::vector<TranscriptLine>& lines() const { return lines_; }
  std::size_t dropped() const { return dropped_; }
  // Lines ever added; the newest (total() - seen) lines are the last ones in lines().
  std::size_t total() const { return total_; }

 private:
  void add(TranscriptLine::Dir d, std::string text);
  std::vector<TranscriptLine> lines_;
  std::size_t max_lines_;
  std::size_t dropped_ = 0;
  std::size_t total_ = 0;
};

// Every protocol client implements this; the driver runs any of them the same way.
class Machine {
 public:
  virtual ~Machine() = default;
  virtual Action start() = 0;                           // connection (and implicit TLS) is up
  virtual Action on_written() = 0;                      // the last write completed
  virtual Action on_input(std::string_view bytes) = 0;  // bytes arrived; empty = peer closed
  virtual Action on_tls() = 0;                          // STARTTLS handshake completed
  virtual Action on_waited() { return Action::finish(); }
  virtual const Transcript& transcript() const = 0;
};

}  // namespace mc::proto
