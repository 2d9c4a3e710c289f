// The plumbing every IMAP task machine shares: commands out through the Link (its tags, its
// capabilities, its transcript), responses in through the Link's framing, the untagged data the
// Link keeps for all tasks (capabilities, EXISTS, UIDVALIDITY), and failing or finishing so
// that the next task knows whether it may use the connection. Internal to protocols/imap.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/imap/command.hpp"
#include "protocols/imap/link.hpp"
#include "protocols/imap/response.hpp"
#include "protocols/machine.hpp"

namespace mc::proto::imap::detail {

class Task : public Machine {
 public:
  Action start() final;
  Action on_written() final;
  Action on_input(std::string_view bytes) final;
  Action on_tls() final;
  Action on_waited() final;
  const Transcript& transcript() const final;

 protected:
  // What a task needs of the link it starts on.
  enum class Needs {
    fresh,          // a connection no task has used yet (Login)
    authenticated,  // a logged-in session (every other task)
    // A logged-in session, also one whose last task failed but left the dialogue in step (every
    // command answered, as after a refusal): Logout, so that it still says goodbye, and Delete,
    // so that a probe found before the failure is still removed.
    in_step,
  };
  Task(Link& link, Needs needs, std::string first_phase);

  // The link is this task's: send the first command (or fail).
  virtual Action begin() = 0;
  // The tagged OK of the outstanding command.
  virtual Action completed(const Response& r) = 0;
  // Its tagged NO or BAD. By default: rejected (NO) or protocol (BAD), naming the phase.
  virtual Action refused(const Response& r);
  // Untagged data, after the link took what it keeps (capabilities, EXISTS, UIDVALIDITY).
  virtual std::optional<Action> data(const Response&) { return std::nullopt; }
  // The first response of a fresh connection; only Login expects one.
  virtual std::optional<Action> greeting(const Response& r);
  // An untagged BYE: by default the session ended under us.
  virtual std::optional<Action> bye(const Response& r);
  // The peer closed the connection: by default a disconnect.
  virtual Action closed();
  virtual Action tls_up();  // the STARTTLS handshake asked for by handshake() completed
  virtual Action waited();  // the pause asked for by pause() elapsed, or listen()'s wake-up came
  // A continuation request after the last piece of the outstanding command went out (IDLE's
  // "+ idling"). By default a protocol error.
  virtual std::optional<Action> continued(const Response& r);

  // Sends one command, piece by piece, as phase `phase`.
  Action send(std::string phase, std::vector<Chunk> chunks);
  CommandBuilder command();  // a builder for the next command, with the next tag
  Action await_greeting();   // read the greeting, then greeting()
  Action handshake();        // run the TLS handshake, then tls_up()
  Action pause(std::string phase, std::chrono::milliseconds d);  // then waited()
  // Reads as phase `phase` for as long as it takes, each response handled as it comes; waited()
  // once `wake` has passed since the phase began (IDLE's renewal), whatever arrived meanwhile.
  Action listen(std::string phase, std::chrono::milliseconds wake);
  // Writes one more line of the outstanding command (IDLE's DONE, a SASL response) as phase
  // `phase`; the transcript shows `shown` when given.
  Action continue_command(std::string phase, std::string line,
                          std::optional<std::string> shown = std::nullopt);
  // SELECT (EXAMINE with `read_only`: nothing changes, not even \Recent): the link forgets the
  // mailbox it had, and on OK knows this one as selected.
  Action select(const std::string& mailbox, std::string phase, bool read_only = false);

  Action fail(Reason reason, std::string message, const Response* reply = nullptr);
  // A failure whose words are not one response's (a delivery report's Status and diagnostic).
  Action fail(Reason reason, std::string message, ServerReply reply);
  Action succeed();   // done; the link may serve the next task
  Action finished();  // done; the session is over (LOGOUT), no task may follow

  void take_response_code(const Response& r);  // CAPABILITY, UIDVALIDITY and UIDNEXT codes
  bool has_capability(std::string_view name) const;
  LinkState& link() { return link_.s_; }
  const LinkState& link() const { return link_.s_; }
  const std::string& phase() const { return phase_; }
  void set_phase(std::string phase) { phase_ = std::move(phase); }

 private:
  enum class Stage { idle, greeting, command, tls_handshake, sleeping, done };

  Action drain();
  std::optional<Action> handle(const Response& r);
  std::optional<Action> on_untagged(const Response& r);
  std::optional<Action> on_continuation(const Response& r);
  Action on_tagged(const Response& r);
  void take_capabilities(std::string_view atoms);
  Action end(Action final);

  Link& link_;
  Needs needs_;
  Stage stage_ = Stage::idle;
  bool claimed_ = false;  // the link is this task's
  std::string phase_;
  std::string tag_;                       // tag of the outstanding command; "" when none
  std::vector<Chunk> chunks_;             // the outstanding command, piece by piece
  std::size_t chunk_ = 0;                 // index of the piece written last
  std::optional<std::string> selecting_;  // the outstanding command is SELECT of this mailbox
  Action final_;
  std::chrono::milliseconds wake_{0};  // listen()'s wake-up, while listening
};

}  // namespace mc::proto::imap::detail
