// The IMAP client of imap.wait, imap.delete and imap.check (RFC 3501 / RFC 9051 subset), as a
// sans-I/O Machine: one command at a time, every server byte framed by the shared LineBuffer.
// Deleting is the dangerous part: it only ever touches UIDs that carry our token, that the
// caller allowed, and it never expunges a mailbox holding someone else's \Deleted mail.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
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

class Client : public Machine {
 public:
  explicit Client(Config cfg);
  Action start() override;
  Action on_written() override;
  Action on_input(std::string_view bytes) override;
  Action on_tls() override;
  Action on_waited() override;
  const Transcript& transcript() const override;
  const Outcome& outcome() const;

 private:
  // What the outstanding tagged command is for: decides what its completion means.
  enum class Command {
    none,
    capability,
    starttls,
    login,
    select,
    search_token,
    fetch_headers,
    fetch_newest,
    store,
    uid_expunge,
    search_deleted,
    fetch_deleted,
    expunge,
    logout,
  };
  enum class Stage { greeting, command, tls_handshake, sleeping, done };

  // Plumbing: commands out, responses in.
  Action send(Command cmd, std::vector<detail::Chunk> chunks);
  Action drain();
  std::optional<Action> handle(const Response& r);
  std::optional<Action> on_greeting(const Response& r);
  std::optional<Action> on_untagged(const Response& r);
  std::optional<Action> on_continuation(const Response& r);
  Action on_tagged(const Response& r);
  Action on_tagged_ok(Command cmd, const Response& r);
  Action on_tagged_refusal(Command cmd, const Response& r);
  Action on_disconnect();

  // The dialogue, in order.
  Action capability();
  Action after_capability();
  Action starttls();
  Action after_starttls();
  Action login();
  Action authenticate_plain();
  Action after_login();
  Action select();
  Action after_select();
  Action search();
  Action sleep_then_search();
  Action after_search();
  Action fetch_headers(const std::vector<std::uint32_t>& uids);
  Action after_fetch_headers();
  Action fetch_newest();
  Action store();
  Action after_store();
  Action search_deleted();
  Action after_search_deleted();
  Action fetch_deleted_batch();
  Action after_fetch_deleted();
  Action after_recheck();
  Action skip_expunge(const std::vector<std::uint32_t>& foreign);
  Action expunge();
  Action after_expunge();
  Action logout();

  // Reading response data.
  void take_capabilities(std::string_view atoms);
  void take_response_code(const Response& r);
  std::optional<Action> take_search(const Response& r);
  std::optional<Action> take_fetch(const Response& r);

  Action fail(Reason reason, std::string message, const Response* reply = nullptr);
  Action succeed();
  std::optional<Action> uidvalidity_changed();
  bool has_capability(std::string_view name) const;
  std::string next_tag();
  void record(const Response& r);

  Config cfg_;
  Outcome outcome_;
  Transcript transcript_;
  LineBuffer in_;
  ResponseReader reader_;
  Stage stage_ = Stage::greeting;
  std::string phase_ = "greeting";
  Command cmd_ = Command::none;
  std::string tag_;
  int tags_used_ = 0;
  std::vector<detail::Chunk> chunks_;  // the outstanding command, piece by piece
  std::size_t chunk_ = 0;              // index of the piece written last
  bool preauth_ = false;
  std::uint32_t exists_ = 0;
  std::vector<std::uint32_t> search_hits_;            // * SEARCH data of the outstanding search
  std::vector<std::uint32_t> fetch_requested_;        // UIDs the outstanding FETCH asked for
  std::map<std::uint32_t, std::string> verified_;     // UID -> header block carrying our token
  std::vector<std::uint32_t> target_;                 // remove: the UIDs we flag and expunge
  std::vector<std::uint32_t> deleted_others_;         // remove: \Deleted UIDs not in target_
  std::map<std::uint32_t, std::string> own_deleted_;  // of those: UID -> own token it carries
  std::size_t deleted_checked_ = 0;                   // of those: how many were checked so far
  bool recheck_ = false;  // the outstanding UID SEARCH DELETED is the one before the EXPUNGE
  Redactor scrub_;        // every spelling of the secret we might see
  Action final_;
};

}  // namespace mc::proto::imap
