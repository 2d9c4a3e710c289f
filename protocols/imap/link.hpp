// One IMAP connection as it lasts from task to task. The task machines (tasks.hpp) run on it one
// after another, on one TCP/TLS connection: Login, then any of Wait, Delete and Check, then
// Logout. The link keeps what must outlive a task: the framing (bytes a server sent ahead are
// read by the next task), the tag counter, capabilities, TLS, who is logged in, the selected
// mailbox, and one transcript with every secret redacted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocols/credentials.hpp"
#include "protocols/imap/response.hpp"
#include "protocols/line_buffer.hpp"
#include "protocols/machine.hpp"
#include "protocols/sasl/mechanism.hpp"

namespace mc::proto::imap {

using proto::StartTls;  // protocols/machine.hpp

struct LinkConfig {
  bool implicit_tls = false;  // TLS already up when the first machine starts (imaps)
  StartTls starttls = StartTls::required;
  std::string user;
  std::string secret;
  // The SASL mechanism the account names (nullopt: SCRAM-SHA-256 where offered, else LOGIN),
  // and whether the secret is an OAuth 2.0 access token (then OAUTHBEARER or XOAUTH2).
  std::optional<sasl::Mechanism> mechanism;
  bool secret_is_token = false;
  std::string sasl_nonce;  // SCRAM's client nonce; empty: random (tests replay fixed exchanges)
  // Credentials never cross a connection without TLS unless the scenario file says so for this
  // server; otherwise Login fails before LOGIN as starttls_unavailable.
  bool allow_plaintext_auth = false;
};

class Client;

namespace detail {

class Task;

// What a link holds. Only the task machines change it, through detail::Task.
struct LinkState {
  LinkConfig cfg;
  Transcript transcript;
  LineBuffer in;
  ResponseReader reader;
  Redactor scrub;  // every spelling of the secret we might see
  int tags_used = 0;
  std::vector<std::string> capabilities;  // upper-cased atoms, latest known
  bool greeted = false;                   // a Login has read (or is reading) the greeting
  bool preauth = false;
  bool tls = false;
  bool plaintext_auth = false;
  std::string auth_mechanism;  // "SCRAM-SHA-256", or "LOGIN command"; "" before Login
  bool authenticated = false;
  // A task failed on it or it was logged out: the framing or the session is in no state for
  // another command.
  bool over = false;
  // When over: the failure came after the server answered every command (a refusal, an answer
  // the task would not accept), so the dialogue is still in step and a LOGOUT can follow.
  bool in_step = false;
  // A task has started on it and not finished (a task abandoned half-way leaves it so: the
  // answer to its command may still be on the way).
  bool busy = false;
  std::string selected;           // "" when none
  std::uint32_t uidvalidity = 0;  // of the selected mailbox; 0 = not reported
  std::uint32_t exists = 0;       // of the selected mailbox
  std::uint32_t uidnext = 0;      // of the selected mailbox, as SELECT said; 0 = not reported
  bool read_only = false;         // the selected mailbox was opened with EXAMINE
};

}  // namespace detail

class Link {
 public:
  explicit Link(LinkConfig cfg);

  const Transcript& transcript() const { return s_.transcript; }
  bool authenticated() const { return s_.authenticated; }
  bool tls() const { return s_.tls; }
  bool plaintext_auth() const { return s_.plaintext_auth; }  // credentials sent without TLS
  const std::string& auth_mechanism() const { return s_.auth_mechanism; }
  const std::vector<std::string>& capabilities() const { return s_.capabilities; }
  const std::string& selected() const { return s_.selected; }   // "" when none
  std::uint32_t uidvalidity() const { return s_.uidvalidity; }  // of the selected mailbox
  std::uint32_t exists() const { return s_.exists; }            // of the selected mailbox
  bool usable() const { return !s_.over && !s_.busy; }          // a task may start on it
  // Logout may run on it: logged in, and in step with the server even if a task failed.
  bool can_log_out() const { return s_.authenticated && !s_.busy && (!s_.over || s_.in_step); }
  std::size_t buffered() const { return s_.in.buffered(); }  // bytes read, not yet taken
  int tags_used() const { return s_.tags_used; }

 private:
  friend class detail::Task;
  friend class Client;
  detail::LinkState s_;
};

}  // namespace mc::proto::imap
