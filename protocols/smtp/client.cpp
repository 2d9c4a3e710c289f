#include <algorithm>
#include <utility>

#include "codec/base64.hpp"
#include "codec/enum_names.hpp"
#include "protocols/credentials.hpp"
#include "protocols/smtp.hpp"
#include "protocols/smtp/text.hpp"

namespace mc::proto::smtp {
namespace {

using codec::base64_encode;
using namespace detail;

bool has_line_break_or_nul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// --- capabilities ---

// Mechanisms from `AUTH A B` and the pre-standard `AUTH=A B` some servers still announce.
std::vector<std::string> auth_mechanisms(const std::vector<std::string>& capabilities) {
  std::vector<std::string> mechanisms;
  for (const std::string& cap : capabilities) {
    if (!cap.starts_with("AUTH ") && !cap.starts_with("AUTH=")) continue;
    for (std::string_view m : split(std::string_view(cap).substr(5), ' ')) {
      if (!m.empty() && std::find(mechanisms.begin(), mechanisms.end(), m) == mechanisms.end()) {
        mechanisms.emplace_back(m);
      }
    }
  }
  return mechanisms;
}

std::string joined(const std::vector<std::string>& words) {
  if (words.empty()) return "none";
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

// ---------------------------------------------------------------- Client

Client::Client(Config cfg) : cfg_(std::move(cfg)) {
  if (cfg_.auth && !cfg_.auth->secret.empty()) scrub_ = Redactor(sasl::secret_forms(*cfg_.auth));
}

Action Client::start() {
  outcome_.tls = cfg_.implicit_tls;
  step_ = Step::banner;
  return Action::read(std::string(phase()));
}

Action Client::on_written() {
  if (terminal_) return *terminal_;
  // A reply that arrived with the previous one is already buffered: answer from it.
  return read_replies();
}

Action Client::on_input(std::string_view bytes) {
  if (terminal_) return *terminal_;
  if (bytes.empty()) return on_closed();
  input_.feed(bytes);
  return read_replies();
}

Action Client::on_tls() {
  if (terminal_) return *terminal_;
  if (step_ != Step::tls_handshake) {
    return fail(Reason::internal, "TLS handshake reported outside STARTTLS");
  }
  // RFC 3207 4.2: everything learnt before TLS is discarded and asked for again.
  outcome_.tls = true;
  outcome_.capabilities.clear();
  return send_ehlo(Step::ehlo_tls);
}

Action Client::read_replies() {
  std::string line;
  for (;;) {
    switch (input_.next_line(line)) {
      case LineBuffer::Status::need_more:
        return Action::read(std::string(phase()));
      case LineBuffer::Status::too_long:
        return fail(Reason::protocol, "reply line longer than the limit of " +
                                          std::to_string(kMaxLineBytes) + " bytes");
      case LineBuffer::Status::bare_lf:
        return fail(Reason::protocol, "reply line ended by a bare LF instead of CRLF");
      case LineBuffer::Status::line:
        break;
    }
    line = scrub_(std::move(line));
    transcript_.server(line);
    switch (parser_.add_line(line)) {
      case ReplyParser::Status::need_more:
        continue;
      case ReplyParser::Status::malformed:
        return fail(Reason::protocol,
                    "malformed reply to " + command_name() + ": " + parser_.problem());
      case ReplyParser::Status::complete: {
        const ServerReply reply = parser_.reply();
        parser_.reset();
        if (reply.code < 400) outcome_.accepted.emplace_back(phase(), reply);
        return on_reply(reply);
      }
    }
  }
}

Action Client::on_reply(const ServerReply& r) {
  switch (step_) {
    case Step::banner:
      return r.code == 220 ? send_ehlo(Step::ehlo) : unexpected(r);
    case Step::ehlo:
      return on_ehlo(r);
    case Step::helo:
      if (r.code != 250) return unexpected(r);
      outcome_.capabilities.clear();
      return start_auth_or_mail();
    case Step::starttls:
      return on_starttls(r);
    case Step::ehlo_tls:
      if (r.code != 250) return unexpected(r);
      record_capabilities(r);
      return start_auth_or_mail();
    case Step::auth:
    case Step::auth_cancel:
      return on_auth(r);
    case Step::mail_from:
      return r.code == 250 ? send_next_rcpt() : unexpected(r);
    case Step::rcpt_to:
      return r.code == 250 || r.code == 251 ? send_next_rcpt() : unexpected(r);
    case Step::data:
      if (r.code != 354) return unexpected(r);
      if (cfg_.hold == Config::Hold::before_message) {
        held_ = true;
        outcome_.held_at = "data";
        transcript_.note("policy probe: the connection is dropped after 354, the message unsent");
        return finish();
      }
      return send_message();
    case Step::message:
      return r.code == 250 ? on_message_accepted(r) : unexpected(r);
    case Step::rset:
      return send(Step::quit, "QUIT", "QUIT");
    case Step::farewell:
      return fail(Reason::internal, "the refusal stands");  // fail() returns the refusal
    case Step::quit:
      return r.code == 221 ? finish() : unexpected(r);
    case Step::tls_handshake:
    case Step::done:
      break;
  }
  return fail(Reason::internal, "reply received while no command was pending");
}

Action Client::on_ehlo(const ServerReply& r) {
  if (r.code == 250) {
    record_capabilities(r);
    return after_clear_ehlo();
  }
  // RFC 5321 3.2: HELO is the fallback for servers without EHLO, but HELO cannot negotiate
  // STARTTLS or AUTH, so it is only taken when neither is needed.
  const bool needs_starttls = !cfg_.implicit_tls && cfg_.starttls == StartTls::required;
  if ((r.code == 500 || r.code == 502) && !needs_starttls && !cfg_.auth) {
    transcript_.note("EHLO not supported; falling back to HELO");
    return send(Step::helo, "HELO " + cfg_.ehlo_name, "HELO " + cfg_.ehlo_name);
  }
  return unexpected(r);
}

Action Client::after_clear_ehlo() {
  if (cfg_.implicit_tls || cfg_.starttls == StartTls::off) return start_auth_or_mail();
  if (offers("STARTTLS")) return send(Step::starttls, "STARTTLS", "STARTTLS");
  if (cfg_.starttls == StartTls::optional) {
    transcript_.note("STARTTLS not offered; continuing without TLS");
    return start_auth_or_mail();
  }
  return fail_at(Step::starttls, Reason::starttls_unavailable,
                 "STARTTLS required but the server does not offer it");
}

Action Client::on_starttls(const ServerReply& r) {
  if (r.code != 220) return unexpected(r);
  // CVE-2021-22947: bytes that arrive before the handshake were injected in plaintext by
  // someone on the path; carrying them into the TLS session would trust them.
  if (input_.buffered() > 0) {
    return fail(Reason::protocol, "data received after STARTTLS reply before TLS handshake");
  }
  step_ = Step::tls_handshake;
  return Action::start_tls(std::string(phase()));
}

Action Client::on_message_accepted(const ServerReply& r) {
  accepted_ = true;
  outcome_.final_reply = r;
  outcome_.queue_id = extract_queue_id(r);
  return send(Step::quit, "QUIT", "QUIT");
}

Action Client::on_closed() {
  const std::string awaited =
      step_ == Step::banner ? "the greeting" : "the reply to " + command_name();
  return fail(Reason::disconnected, "server closed the connection while waiting for " + awaited);
}

Action Client::unexpected(const ServerReply& r) {
  if (step_ == Step::auth && r.code >= 500) {
    const std::string detail = sasl_ ? sasl_->refusal_detail() : "";
    return refused(Reason::auth_failed,
                   command_name() + " failed" + (detail.empty() ? "" : "; " + detail), r);
  }
  if (step_ == Step::starttls && r.code >= 400) {
    return refused(Reason::starttls_unavailable, "STARTTLS refused", r);
  }
  if (r.code >= 400 && step_ != Step::quit && step_ != Step::rset)
    return refused(Reason::rejected, command_name() + " rejected", r);
  if (r.code >= 400) return fail(Reason::rejected, command_name() + " rejected", r);
  return fail(Reason::protocol,
              "unexpected reply " + std::to_string(r.code) + " to " + command_name(), r);
}

Action Client::refused(Reason reason, std::string message, const ServerReply& r) {
  // 421: the server closes the connection itself (RFC 5321 3.8).
  if (!cfg_.quit_after_refusal || r.code == 421) return fail(reason, std::move(message), r);
  outcome_.refusal = Failure{reason, std::string(phase()), std::move(message), r};
  return send(Step::farewell, "QUIT", "QUIT");
}

Action Client::hold_before_data() {
  held_ = true;
  outcome_.held_at = "rcpt_to";
  transcript_.note("policy probe: the transaction is reset before DATA, the message unsent");
  return send(Step::rset, "RSET", "RSET");
}

Action Client::send_ehlo(Step step) {
  if (cfg_.ehlo_name.empty() || has_line_break_or_nul(cfg_.ehlo_name)) {
    return fail_at(step, Reason::internal, "ehlo_name is empty or contains a line break");
  }
  return send(step, "EHLO " + cfg_.ehlo_name, "EHLO " + cfg_.ehlo_name);
}

Action Client::start_auth_or_mail() {
  if (!cfg_.auth) return send_mail_from();
  const std::vector<std::string> offered = auth_mechanisms(outcome_.capabilities);
  const std::optional<sasl::Mechanism> mechanism = sasl::choose(*cfg_.auth, offered);
  // Checked once the mechanism is known, whichever it is: whoever strips STARTTLS from the path
  // would read the password or the token, or replay a SCRAM proof to a server of their own.
  if (!outcome_.tls) {
    if (!cfg_.allow_plaintext_auth) {
      const std::string what =
          mechanism ? "AUTH " + std::string(sasl::wire_name(*mechanism)) : std::string("AUTH");
      return fail_at(Step::starttls, Reason::starttls_unavailable,
                     plaintext_refusal(cfg_.starttls == StartTls::off, what));
    }
    outcome_.plaintext_auth = true;
    transcript_.note("sending credentials without TLS (allow_plaintext_auth)");
  }
  if (!mechanism) {
    return fail_at(Step::auth, Reason::auth_failed,
                   "AUTH " + sasl::wanted(*cfg_.auth) +
                       " requested but the server offers no usable mechanism (offered: " +
                       joined(offered) + ")");
  }
  sasl_ = sasl::start(*mechanism, *cfg_.auth);
  outcome_.auth_mechanism = sasl_->name();
  const std::string command = "AUTH " + sasl_->name();
  const std::optional<std::string> initial = sasl_->initial_response();
  if (!initial) return send(Step::auth, command, command);
  // RFC 4954 4: "=" stands for an empty initial response.
  return send(Step::auth, command + " " + (initial->empty() ? "=" : base64_encode(*initial)),
              command + " " + std::string(kRedacted));
}

// Every message of the exchange is the mechanism's; the transcript shows none of them, as even
// SCRAM's, which carry no password, tell how it was proved.
Action Client::on_auth(const ServerReply& r) {
  if (step_ == Step::auth_cancel) {
    return fail(Reason::auth_failed, command_name() + " cancelled: " + auth_problem_, r);
  }
  if (r.code == 235) {
    if (const std::optional<std::string> problem = sasl_->succeeded()) {
      return fail(Reason::auth_failed, command_name() + ": " + *problem, r);
    }
    return send_mail_from();
  }
  if (r.code != 334) return unexpected(r);
  const sasl::Answer answer = sasl_->challenge_base64(trim(r.text));
  if (answer.protocol) {
    return fail(Reason::protocol, "unexpected 334 to " + command_name() + ": " + answer.problem, r);
  }
  if (answer.abort) {
    auth_problem_ = answer.problem;
    transcript_.note("cancelling AUTH: " + answer.problem);
    return send(Step::auth_cancel, "*", "*");
  }
  return send(Step::auth, answer.response, kRedacted);
}

Action Client::send_mail_from() {
  if (has_line_break_or_nul(cfg_.mail_from)) {
    return fail_at(Step::mail_from, Reason::internal, "mail_from contains a line break");
  }
  const std::string line = "MAIL FROM:<" + cfg_.mail_from + ">";
  return send(Step::mail_from, line, line);
}

Action Client::send_next_rcpt() {
  if (next_rcpt_ == cfg_.rcpt_to.size()) {
    if (next_rcpt_ == 0) return fail_at(Step::rcpt_to, Reason::internal, "no recipient configured");
    if (cfg_.hold == Config::Hold::before_data) return hold_before_data();
    return send(Step::data, "DATA", "DATA");
  }
  const std::string& rcpt = cfg_.rcpt_to[next_rcpt_++];
  if (has_line_break_or_nul(rcpt)) {
    return fail_at(Step::rcpt_to, Reason::internal, "a recipient contains a line break");
  }
  const std::string line = "RCPT TO:<" + rcpt + ">";
  return send(Step::rcpt_to, line, line);
}

Action Client::send_message() {
  step_ = Step::message;
  std::string body = dot_stuff(cfg_.message);
  // The body is the user's, possibly large, and not evidence of how the server behaved.
  transcript_.note("<message: " + std::to_string(body.size()) + " bytes>");
  return Action::write(std::string(phase()), std::move(body));
}

Action Client::send(Step next, std::string_view line, std::string_view shown) {
  step_ = next;
  transcript_.client(std::string(shown));
  return Action::write(std::string(phase()), std::string(line) + "\r\n");
}

Action Client::fail(Reason reason, std::string message, std::optional<ServerReply> reply) {
  if (accepted_ || held_) {
    // The message is the server's responsibility now (or was never sent); a messy goodbye is
    // not a failed send.
    transcript_.note((accepted_ ? "after the message was accepted: " : "after the hold: ") +
                     message);
    return finish();
  }
  if (outcome_.refusal) {
    // Whatever became of the QUIT after it, the refusal is what happened.
    if (step_ != Step::farewell || reason != Reason::internal)
      transcript_.note("after the refusal: " + message);
    step_ = Step::done;
    terminal_ = Action::fail(*outcome_.refusal);
    terminal_->phase = "quit";  // the session ended in QUIT; the refusal keeps its own phase
    return *terminal_;
  }
  Failure f{reason, std::string(phase()), std::move(message), std::move(reply)};
  step_ = Step::done;
  terminal_ = Action::fail(std::move(f));
  return *terminal_;
}

Action Client::fail_at(Step step, Reason reason, std::string message) {
  step_ = step;
  return fail(reason, std::move(message));
}

Action Client::finish() {
  step_ = Step::done;
  terminal_ = Action::finish();
  return *terminal_;
}

std::string_view Client::phase() const {
  switch (step_) {
    case Step::banner:
      return "banner";
    case Step::ehlo:
    case Step::helo:
      return "ehlo";
    case Step::starttls:
      return "starttls";
    case Step::tls_handshake:
      return "tls_handshake";
    case Step::ehlo_tls:
      return "ehlo_tls";
    case Step::auth:
    case Step::auth_cancel:
      return "auth";
    case Step::mail_from:
      return "mail_from";
    case Step::rcpt_to:
      return "rcpt_to";
    case Step::data:
      return "data";
    case Step::message:
      return "message";
    case Step::rset:
      return "rset";
    case Step::farewell:
    case Step::quit:
    case Step::done:
      return "quit";
  }
  return "quit";
}

// The command as a person reads it in a Failure message; never a credential.
std::string Client::command_name() const {
  switch (step_) {
    case Step::banner:
      return "greeting";
    case Step::ehlo:
    case Step::ehlo_tls:
      return "EHLO";
    case Step::helo:
      return "HELO";
    case Step::starttls:
    case Step::tls_handshake:
      return "STARTTLS";
    case Step::auth:
    case Step::auth_cancel:
      return "AUTH " + (sasl_ ? sasl_->name() : sasl::wanted(*cfg_.auth));
    case Step::mail_from:
      return "MAIL FROM:<" + cfg_.mail_from + ">";
    case Step::rcpt_to:
      return next_rcpt_ == 0 ? "RCPT TO" : "RCPT TO:<" + cfg_.rcpt_to[next_rcpt_ - 1] + ">";
    case Step::data:
      return "DATA";
    case Step::message:
      return "message";
    case Step::rset:
      return "RSET";
    case Step::farewell:
    case Step::quit:
    case Step::done:
      return "QUIT";
  }
  return "QUIT";
}

// A hostile or buggy server may echo what it was sent; the secret must not reach the
// transcript or a Failure through the server's words either, wherever in the line it stands.
// (A line that starts with it is then no reply at all, which the parser reports.)

void Client::record_capabilities(const ServerReply& r) {
  outcome_.capabilities.clear();
  const std::vector<std::string_view> lines = split(r.text, '\n');
  // The first line is the server's greeting to us, not a keyword.
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view keyword = trim(lines[i]);
    if (!keyword.empty()) outcome_.capabilities.push_back(upper(keyword));
  }
}

bool Client::offers(std::string_view keyword) const {
  const auto& caps = outcome_.capabilities;
  return std::find(caps.begin(), caps.end(), keyword) != caps.end();
}

}  // namespace mc::proto::smtp
