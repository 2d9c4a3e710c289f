// The IMAP client of imap.wait, imap.delete and imap.check (RFC 3501 / RFC 9051 subset), as
// sans-I/O Machines: one command at a time, every server byte framed by the shared LineBuffer.
// A Link is one connection as it lasts from task to task; the task machines (Login, Wait,
// Delete, Check, Logout; protocols/imap/tasks.hpp) run on it one after another, so the steps of
// a scenario share one authenticated session. Client is the one-shot session: Login, one task,
// Logout. Deleting is the dangerous part: it only ever touches UIDs that carry our token, that
// the caller allowed, and it never expunges a mailbox holding someone else's \Deleted mail.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/credentials.hpp"
#include "protocols/imap/command.hpp"
#include "protocols/imap/link.hpp"
#include "protocols/imap/response.hpp"
#include "protocols/imap/tasks.hpp"
#include "protocols/line_buffer.hpp"
#include "protocols/machine.hpp"

namespace mc::proto::imap {

enum class Mode { wait, remove, check };  // remove = the imap.delete step

struct Config {
  bool implicit_tls = false;  // TLS already up when start() is called (imaps)
  StartTls starttls = StartTls::required;
  std::string user;
  std::string secret;
  std::optional<sasl::Mechanism> mechanism;  // as LinkConfig's
  bool secret_is_token = false;
  std::string sasl_nonce;  // as LinkConfig's
  // Credentials never cross a connection without TLS unless the scenario file says so for this
  // server; otherwise the session fails before LOGIN as starttls_unavailable.
  bool allow_plaintext_auth = false;
  std::string mailbox = "INBOX";
  Mode mode = Mode::wait;
  std::string token;  // value of the X-Mailcanary-Token header to find / delete
  std::chrono::milliseconds poll_interval{250};
  std::vector<std::uint32_t> uids;  // remove: the UIDs imap.wait found (only these may be deleted)
  std::uint32_t uidvalidity = 0;    // remove: the UIDVALIDITY imap.wait saw (0 = unknown)
  // remove: tokens of mailcanary's earlier probes (every pending one in the state directory).
  // Without UIDPLUS, a \Deleted message whose header carries one of them (verified in this
  // session) is mailcanary's, not the user's, so it does not stop the EXPUNGE.
  std::vector<std::string> own_tokens;
  // remove: find and verify, but neither flag nor expunge (a probe whose scenario keeps it).
  bool find_only = false;
};

struct Outcome {
  std::vector<std::string> capabilities;  // upper-cased atoms, latest known
  bool tls = false;
  bool plaintext_auth = false;  // credentials were sent without TLS (allowed by the file)
  std::uint32_t uidvalidity = 0;
  std::vector<std::uint32_t> found_uids;  // wait: messages whose header really carries the token
  std::string headers;  // wait, remove without UIDs: header block of the first verified message
  std::vector<std::uint32_t> deleted_uids;  // remove: UIDs flagged \Deleted and expunged
  bool expunge_skipped = false;             // remove: others' mail was \Deleted, so no EXPUNGE
  // remove: own_tokens whose messages, already \Deleted, went with the plain EXPUNGE.
  std::vector<std::string> also_expunged;
  int searches = 0;  // wait: how many UID SEARCHes were needed
};

// The one-shot session on its own connection: Login, the task of cfg.mode, Logout, as one
// Machine. Mode::check reads the newest 5 headers of cfg.mailbox, without LIST, in phases
// "select" and "fetch".
class Client : public Machine {
 public:
  explicit Client(Config cfg);
  Client(const Client&) = delete;  // its tasks hold its link
  Client& operator=(const Client&) = delete;
  Action start() override;
  Action on_written() override;
  Action on_input(std::string_view bytes) override;
  Action on_tls() override;
  Action on_waited() override;
  const Transcript& transcript() const override;
  const Outcome& outcome() const;

 private:
  // The current machine's answer: when it finished well, the next one starts on the link.
  Action advance(Action next);
  void sync();  // outcome_ from the link and the task, after every answer

  Config cfg_;
  Link link_;
  std::vector<std::unique_ptr<Machine>> steps_;  // Login, the task, Logout
  std::size_t current_ = 0;
  const Wait* wait_ = nullptr;
  const Delete* delete_ = nullptr;
  Outcome outcome_;
  bool done_ = false;
  Action final_;
};

}  // namespace mc::proto::imap
