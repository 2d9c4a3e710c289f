// The POP3 client of pop3.wait and pop3.delete (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034
// AUTH), as one sans-I/O Machine per session: a POP3 session is a snapshot of the maildrop, so
// every look for the probe is a session of its own. Greeting, CAPA, STLS + handshake + CAPA,
// then AUTH with the best SASL mechanism CAPA offers (protocols/sasl: SCRAM-SHA-256 over PLAIN
// over LOGIN, OAUTHBEARER or XOAUTH2 for a token; the account's where it names one), else USER
// and PASS;
// then UIDL, TOP n 0 of the messages that may be the probe, newest first, and in Mode::remove
// DELE of exactly the one whose header this session proved to carry the token; QUIT last.
// Deleting happens only at QUIT (RFC 1939 section 6): until its +OK came, nothing is deleted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/credentials.hpp"
#include "protocols/line_buffer.hpp"
#include "protocols/machine.hpp"
#include "protocols/pop3/reply.hpp"
#include "protocols/sasl/mechanism.hpp"

namespace mc::proto::pop3 {

enum class Mode {
  find,    // pop3.wait's round: look for the probe, change nothing
  remove,  // pop3.delete: find it again, prove it, DELE it
};

// How many headers one session reads at most: a maildrop of thousands is looked into a part
// at a time, the newest first, across rounds.
inline constexpr std::size_t kMaxTopsPerSession = 200;

struct Config {
  bool implicit_tls = false;  // TLS already up when start() is called (pop3s)
  StartTls starttls = StartTls::required;
  std::string user;
  std::string secret;  // the password, or the OAuth 2.0 access token when secret_is_token
  bool secret_is_token = false;
  // The SASL mechanism the account names; nullopt: the best CAPA's SASL line offers.
  std::optional<sasl::Mechanism> mechanism{};
  std::string sasl_nonce{};  // SCRAM's client nonce; empty: random (tests fix it)
  // Credentials never cross a connection without TLS unless the scenario file says so for this
  // server; otherwise the session fails before USER or AUTH as starttls_unavailable.
  bool allow_plaintext_auth = false;
  Mode mode = Mode::find;
  std::string token;  // the X-Mailcanary-Token value to find
  // find: unique-ids whose headers earlier rounds read without the token; not read again.
  std::set<std::string> skip_uids;
  // remove: the unique-id pop3.wait found; "" to look for the token among every message.
  std::string uid;
  std::size_t max_tops = kMaxTopsPerSession;
};

struct Outcome {
  std::vector<std::string> capabilities;  // CAPA's lines, the first word upper-cased
  bool tls = false;
  bool plaintext_auth = false;         // credentials were sent without TLS (allowed by the file)
  std::string login_with;              // "USER" or the SASL mechanism ("SCRAM-SHA-256")
  std::size_t messages = 0;            // in the maildrop, as UIDL listed it
  std::vector<std::string> looked_at;  // unique-ids whose header was read and lacks the token
  int tops = 0;                        // TOP commands answered
  std::string found_uid;               // the probe's unique-id, proved by its header
  std::uint32_t found_number = 0;      // its message number in this session
  std::string headers;                 // its header block
  bool dele_accepted = false;          // remove: DELE was answered +OK
  bool deleted = false;                // remove: and QUIT's +OK committed it
  bool quit_ok = false;                // QUIT was answered +OK
};

class Client : public Machine {
 public:
  explicit Client(Config cfg);
  Action start() override;
  Action on_written() override;
  Action on_input(std::string_view bytes) override;
  Action on_tls() override;
  const Transcript& transcript() const override { return transcript_; }
  const Outcome& outcome() const { return outcome_; }

 private:
  enum class Cmd { greeting, capa, stls, user, pass, auth, uidl, top, dele, quit };

  Action send(Cmd cmd, std::string phase, std::string line, std::string shown = {});
  Action drain();
  Action handle(const Reply& r);
  bool multiline() const { return cmd_ == Cmd::capa || cmd_ == Cmd::uidl || cmd_ == Cmd::top; }

  // protocols/pop3/client.cpp: up to the login.
  Action after_greeting(const Reply& r);
  Action capa();
  Action after_capa(const Reply& r);
  Action stls();
  Action after_stls(const Reply& r);
  Action login();
  Action auth(const Reply& r);
  Action after_user(const Reply& r);
  Action after_pass(const Reply& r);
  Action logged_in();
  bool has_capability(std::string_view name) const;
  std::vector<std::string> sasl_offered() const;
  sasl::Credentials credentials() const;

  // protocols/pop3/maildrop.cpp: UIDL, TOP, DELE, QUIT.
  Action uidl();
  Action after_uidl(const Reply& r);
  Action next_top();
  Action after_top(const Reply& r);
  Action dele();
  Action after_dele(const Reply& r);
  Action quit();
  Action after_quit(const Reply& r);
  Action closed();

  Action fail(Reason reason, std::string message, const Reply* reply = nullptr);

  Config cfg_;
  Outcome outcome_;
  Transcript transcript_;
  LineBuffer in_;
  ReplyReader reader_;
  Redactor scrub_;
  std::unique_ptr<sasl::Exchange> sasl_;
  std::string auth_problem_;  // why the client cancelled AUTH ("*"), if it did
  Cmd cmd_ = Cmd::greeting;
  std::string phase_ = "greeting";
  bool started_ = false;
  bool done_ = false;
  Action final_;
  std::vector<UidlEntry> candidates_;  // to read, in order
  std::size_t next_ = 0;               // index in candidates_ of the next TOP
  std::uint32_t top_number_ = 0;       // the outstanding TOP's message
  std::string top_uid_;
};

}  // namespace mc::proto::pop3
