// The sans-I/O contract between a protocol state machine and the one driver that owns sockets.
// A machine never touches the network or a clock: it is told what happened (bytes arrived, a
// write finished, TLS is up, a wait elapsed) and answers with the next Action.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "codec/enum_names.hpp"
#include "codec/failure.hpp"
#include "codec/transcript.hpp"

namespace mc::proto {

// The run model's types, as the machines name them.
using mc::Failure;
using mc::Reason;
using mc::ServerReply;
using mc::to_string;
using mc::Transcript;
using mc::TranscriptLine;

// What a client does about STARTTLS on a plain connection: insist on it, use it when offered,
// or never. One type for every protocol and for the scenario files that choose it.
enum class StartTls { required, optional, off };
inline constexpr EnumName<StartTls> kStartTlsNames[] = {
    {StartTls::required, "required"},
    {StartTls::optional, "optional"},
    {StartTls::off, "off"},
};
static_assert(names_all(kStartTlsNames, StartTls::off), "a StartTls without its name");

struct Action {
  enum class Kind {
    write,  // send `data`
    // deliver more bytes with on_input(); with `wait` > 0, on_waited() instead once `wait` has
    // passed since the phase began without the machine having finished reading (IMAP IDLE)
    read,
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
  // A read that may last long: the wake-up counts from the first such read of the phase, so
  // that a server's keep-alive lines do not postpone it.
  static Action read_until(std::string phase, std::chrono::milliseconds wake) {
    return {Kind::read, std::move(phase), {}, wake, {}};
  }
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
