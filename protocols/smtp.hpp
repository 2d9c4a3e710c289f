// SMTP submission and MX delivery as a sans-I/O state machine (RFC 5321, 3207, 4954, 3463).
// Strictly one command at a time, never PIPELINING, so every phase of the contract is timed
// alone by the driver. Input framing is the shared LineBuffer; replies are parsed by code and
// separator, and anything that is not a well-formed reply ends the session as `protocol`.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codec/failure.hpp"
#include "protocols/address.hpp"
#include "protocols/credentials.hpp"
#include "protocols/line_buffer.hpp"
#include "protocols/machine.hpp"
#include "protocols/sasl/mechanism.hpp"

namespace mc::proto::smtp {

using proto::StartTls;  // protocols/machine.hpp

// The account's user, secret and mechanism (protocols/sasl): AUTH takes the one the account
// names, else the best the server offers.
using Credentials = sasl::Credentials;

struct Config {
  std::string ehlo_name;      // EHLO argument
  bool implicit_tls = false;  // TLS is already up when start() is called (smtps)
  StartTls starttls = StartTls::required;
  std::optional<Credentials> auth;  // no AUTH when empty (delivery straight to an MX)
  // Credentials never cross a connection without TLS unless the scenario file says so for this
  // server; otherwise the step fails before AUTH as starttls_unavailable.
  bool allow_plaintext_auth = false;
  std::string mail_from;
  std::vector<std::string> rcpt_to;  // one or more
  std::string message;               // the RFC 5322 message; any line endings (LF or CRLF)

  // Policy probes (protocols/smtp/policy.hpp) stop before the message could be delivered:
  // before_data sends RSET and QUIT after the last accepted RCPT; before_message drops the
  // connection after DATA's 354, which ends the transaction unsent (RFC 5321 4.1.1.4).
  enum class Hold { none, before_data, before_message };
  Hold hold = Hold::none;
  // A 4xx/5xx (other than 421) ends the session with QUIT rather than a dropped connection:
  // a greylisting server and a policy probe's server see an orderly goodbye.
  bool quit_after_refusal = false;
};

struct Outcome {
  // EHLO keywords of the last EHLO, upper-cased, e.g. "STARTTLS", "AUTH PLAIN LOGIN".
  std::vector<std::string> capabilities;
  bool tls = false;                        // session was encrypted when the message was sent
  bool plaintext_auth = false;             // credentials were sent without TLS (allowed by file)
  std::string auth_mechanism;              // the SASL mechanism of AUTH, e.g. "SCRAM-SHA-256"
  std::optional<std::string> queue_id;     // from the final 250 after the message
  std::optional<ServerReply> final_reply;  // that 250 itself
  // The server's positive replies, in order, each with its phase: what a policy probe was
  // granted before it stopped or was refused.
  std::vector<std::pair<std::string, ServerReply>> accepted;
  // The refusal that ended the dialogue, kept whatever happens to the QUIT after it
  // (quit_after_refusal).
  std::optional<Failure> refusal;
  std::string held_at;  // "rcpt_to" or "data" when the client stopped there (Config::hold)
};

// A hostile server must not make one reply grow without bound (README "Limits").
inline constexpr std::size_t kMaxReplyLines = 256;

// Parses one SMTP reply from lines; exposed for unit tests and reused by the client.
// A line is `DDD`, `DDD-text` (more lines follow) or `DDD text` (last line), the first digit
// 2..5; every line of one reply carries the same code. A leading RFC 3463 enhanced status code
// of the reply's class on the last line goes to ServerReply::enhanced and is stripped from the
// text of every line that starts with it.
class ReplyParser {
 public:
  enum class Status { complete, need_more, malformed };
  Status add_line(std::string_view line);  // a line without CRLF; after complete, starts anew
  const ServerReply& reply() const { return reply_; }  // valid after complete
  void reset();
  // Why the last line was malformed, in words for a Failure message.
  const std::string& problem() const { return problem_; }

 private:
  Status malformed(std::string problem);
  void finish();

  std::vector<std::string> texts_;
  std::string code_;
  ServerReply reply_;
  std::string problem_;
  bool complete_ = false;
};

// The queue id a server names in its 250 to the message, for finding the message in its logs:
// Postfix "queued as ID", Exim "id=ID", Sendmail "ID Message accepted for delivery",
// Gmail "... ID - gsmtp", qmail "qp ID". For Exchange it is the Message-ID in <...> (without
// the brackets; the key of Exchange message tracking across hops), else the InternalId.
// nullopt when the reply is not 2xx or its format is unknown.
std::optional<std::string> extract_queue_id(const ServerReply& r);

// CRLF-normalised (CRLF, bare LF and bare CR each end a line), dot-stuffed, and always
// terminated with "\r\n.\r\n": a body without a final line break gets one.
std::string dot_stuff(std::string_view message);

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
  // What the client waits for; several steps can share one contract phase (see phase()).
  enum class Step {
    banner,
    ehlo,
    helo,
    starttls,
    tls_handshake,
    ehlo_tls,
    auth,         // AUTH or a response to a challenge sent; 334 or 235 awaited
    auth_cancel,  // "*" sent after the client gave up the exchange
    mail_from,
    rcpt_to,
    data,
    message,
    rset,      // a held transaction is reset (Config::hold)
    farewell,  // QUIT after a refusal (Config::quit_after_refusal)
    quit,
    done,
  };

  Action read_replies();
  Action on_reply(const ServerReply& r);
  Action on_ehlo(const ServerReply& r);
  Action on_starttls(const ServerReply& r);
  Action on_message_accepted(const ServerReply& r);
  Action on_closed();
  Action unexpected(const ServerReply& r);
  Action refused(Reason reason, std::string message, const ServerReply& r);
  Action hold_before_data();

  Action send_ehlo(Step step);
  Action after_clear_ehlo();
  Action start_auth_or_mail();
  Action on_auth(const ServerReply& r);
  Action send_mail_from();
  Action send_next_rcpt();
  Action send_message();
  Action send(Step next, std::string_view line, std::string_view shown);

  Action fail(Reason reason, std::string message, std::optional<ServerReply> reply = {});
  Action fail_at(Step step, Reason reason, std::string message);
  Action finish();

  std::string_view phase() const;
  std::string command_name() const;
  void record_capabilities(const ServerReply& r);
  bool offers(std::string_view keyword) const;

  Config cfg_;
  Transcript transcript_;
  Outcome outcome_;
  LineBuffer input_;
  ReplyParser parser_;
  Step step_ = Step::banner;
  std::size_t next_rcpt_ = 0;
  bool accepted_ = false;  // the server took responsibility for the message
  bool held_ = false;      // the client stopped before the message (Config::hold)
  std::optional<Action> terminal_;
  Redactor scrub_;  // the secret in every form it could take on the wire
  std::unique_ptr<sasl::Exchange> sasl_;
  std::string auth_problem_;  // why the client cancelled the exchange
};

}  // namespace mc::proto::smtp
