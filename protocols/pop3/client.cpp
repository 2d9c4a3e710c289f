#include "protocols/pop3/client.hpp"

#include <utility>

#include "codec/base64.hpp"

namespace mc::proto::pop3 {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string render(const Reply& r) {
  std::string s = r.kind == Reply::Kind::ok ? "+OK" : r.kind == Reply::Kind::err ? "-ERR" : "+";
  if (!r.code.empty()) s += " [" + r.code + "]";
  if (!r.text.empty()) s += " " + r.text;
  return s;
}

}  // namespace

Client::Client(Config cfg) : cfg_(std::move(cfg)) {
  outcome_.tls = cfg_.implicit_tls;
  if (!cfg_.secret.empty()) scrub_ = Redactor(sasl::secret_forms(credentials()));
}

sasl::Credentials Client::credentials() const {
  sasl::Credentials c{cfg_.user, cfg_.secret, cfg_.secret_is_token, cfg_.mechanism};
  c.nonce = cfg_.sasl_nonce;
  return c;
}

// ---- What the driver tells it ----------------------------------------------------------------

Action Client::start() {
  if (done_) return final_;
  if (started_) return fail(Reason::internal, "session started twice");
  started_ = true;
  cmd_ = Cmd::greeting;
  phase_ = "greeting";
  return Action::read(phase_);
}

Action Client::on_written() {
  if (done_) return final_;
  return drain();
}

Action Client::on_input(std::string_view bytes) {
  if (done_) return final_;
  if (bytes.empty()) return closed();
  in_.feed(bytes);
  return drain();
}

Action Client::on_tls() {
  if (done_) return final_;
  if (cmd_ != Cmd::stls) return fail(Reason::internal, "TLS is up, none was asked");
  outcome_.tls = true;
  // What the server said in plaintext may have been forged (RFC 2595 section 4).
  outcome_.capabilities.clear();
  return capa();
}

// ---- Replies in --------------------------------------------------------------------------------

Action Client::drain() {
  Reply r;
  switch (reader_.next(in_, r, multiline())) {
    case ReplyReader::Status::complete:
      return handle(r);
    case ReplyReader::Status::need_more:
      return Action::read(phase_);
    case ReplyReader::Status::too_long:
      return fail(Reason::protocol, "reply line longer than the limit of " +
                                        std::to_string(kMaxLineBytes) + " bytes");
    case ReplyReader::Status::too_large:
      return fail(Reason::protocol, "multi-line reply larger than the limit of " +
                                        std::to_string(kMaxMultilineBytes) + " bytes");
    case ReplyReader::Status::bare_lf:
      return fail(Reason::protocol, "bare LF in a reply; POP3 lines end with CRLF");
    case ReplyReader::Status::malformed:
      transcript_.server(scrub_(reader_.status_line()));
      return fail(Reason::protocol, "reply is neither +OK nor -ERR");
  }
  return fail(Reason::internal, "unknown reader status");
}

Action Client::handle(const Reply& r) {
  transcript_.server(scrub_(render(r)));
  if (cmd_ == Cmd::top && r.ok())
    transcript_.note("header of " + std::to_string(r.lines.size()) + " lines");
  if (r.kind == Reply::Kind::continuation && cmd_ != Cmd::auth)
    return fail(Reason::protocol, "continuation \"+\" outside AUTH", &r);
  switch (cmd_) {
    case Cmd::greeting:
      return after_greeting(r);
    case Cmd::capa:
      return after_capa(r);
    case Cmd::stls:
      return after_stls(r);
    case Cmd::user:
      return after_user(r);
    case Cmd::pass:
      return after_pass(r);
    case Cmd::auth:
      return auth(r);
    case Cmd::uidl:
      return after_uidl(r);
    case Cmd::top:
      return after_top(r);
    case Cmd::dele:
      return after_dele(r);
    case Cmd::quit:
      return after_quit(r);
  }
  return fail(Reason::internal, "reply to no command");
}

Action Client::send(Cmd cmd, std::string phase, std::string line, std::string shown) {
  cmd_ = cmd;
  phase_ = std::move(phase);
  transcript_.client(shown.empty() ? line : shown);
  return Action::write(phase_, line + "\r\n");
}

// ---- Up to the login -------------------------------------------------------------------------

Action Client::after_greeting(const Reply& r) {
  if (!r.ok()) return fail(Reason::rejected, "server refused the connection", &r);
  return capa();
}

Action Client::capa() {
  outcome_.capabilities.clear();
  return send(Cmd::capa, "capability", "CAPA");
}

Action Client::after_capa(const Reply& r) {
  // A server without CAPA (RFC 1939 only) answers -ERR: it offers USER and nothing known.
  if (r.ok()) {
    for (const std::string& line : r.lines) {
      const auto space = line.find(' ');
      outcome_.capabilities.push_back(upper(line.substr(0, space)) +
                                      (space == std::string::npos ? "" : line.substr(space)));
    }
  } else {
    transcript_.note("CAPA refused: the server lists no capabilities");
  }
  if (!outcome_.tls && cfg_.starttls != StartTls::off) {
    if (has_capability("STLS")) return stls();
    if (cfg_.starttls == StartTls::required) {
      phase_ = "starttls";  // as in SMTP and IMAP: the step that could not happen
      return fail(Reason::starttls_unavailable, "STLS required but the server does not offer it");
    }
    transcript_.note("STLS not offered: continuing without TLS (starttls optional)");
  }
  return login();
}

Action Client::stls() {
  if (in_.buffered() > 0)
    return fail(Reason::protocol, "server sent data ahead of STLS; refusing to continue");
  return send(Cmd::stls, "starttls", "STLS");
}

Action Client::after_stls(const Reply& r) {
  if (!r.ok()) return fail(Reason::starttls_unavailable, "server refused STLS", &r);
  // CVE-2021-22947: anything already buffered came in plaintext and is never read as TLS data.
  if (in_.buffered() > 0)
    return fail(Reason::protocol, "server sent data after the STLS reply; plaintext refused");
  phase_ = "tls_handshake";
  return Action::start_tls(phase_);
}

Action Client::login() {
  const std::vector<std::string> offered = sasl_offered();
  const sasl::Credentials creds = credentials();
  const std::optional<sasl::Mechanism> chosen = sasl::choose(creds, offered);
  // USER/PASS is RFC 1939's own login: a password's fallback where no SASL mechanism fits and
  // the account asks for none but LOGIN. USER is optional (RFC 2449): a server that lists
  // capabilities without it takes no password that way.
  const bool user_pass = !chosen && !cfg_.secret_is_token &&
                         (!cfg_.mechanism || *cfg_.mechanism == sasl::Mechanism::login) &&
                         (outcome_.capabilities.empty() || has_capability("USER"));
  // Checked once the method is known, whichever it is: whoever strips STLS from the path would
  // read the password or the token, or replay a SCRAM proof to a server of their own.
  const std::string method = chosen      ? "AUTH " + std::string(sasl::wire_name(*chosen))
                             : user_pass ? "USER/PASS"
                                         : "AUTH";
  if (!outcome_.tls) {
    if (!cfg_.allow_plaintext_auth) {
      phase_ = "starttls";
      return fail(Reason::starttls_unavailable,
                  plaintext_refusal(cfg_.starttls == StartTls::off, method));
    }
    outcome_.plaintext_auth = true;
    transcript_.note("sending credentials without TLS (allow_plaintext_auth)");
  }
  if (!chosen && !user_pass) {
    phase_ = "login";
    std::string list;
    for (const std::string& m : offered) list += (list.empty() ? "" : " ") + m;
    return fail(Reason::auth_failed, "server offers no SASL " + sasl::wanted(creds) +
                                         (cfg_.secret_is_token ? "" : " nor USER") +
                                         " (offered: " + (list.empty() ? "none" : list) + ")");
  }
  if (chosen) {
    sasl_ = sasl::start(*chosen, creds);
    outcome_.login_with = sasl_->name();
    std::string line = method;
    std::string shown = line;
    if (auto ir = sasl_->initial_response()) {
      // RFC 5034 section 4: "=" stands for an empty initial response.
      line += " " + (ir->empty() ? std::string("=") : codec::base64_encode(*ir));
      shown += " " + std::string(kRedacted);
    }
    return send(Cmd::auth, "login", line, shown);
  }
  outcome_.login_with = "USER";
  return send(Cmd::user, "login", "USER " + cfg_.user, "USER " + std::string(kRedacted));
}

// Every message of the exchange is the mechanism's; the transcript shows none of them.
Action Client::auth(const Reply& r) {
  if (r.kind == Reply::Kind::continuation) {
    if (!auth_problem_.empty())
      return fail(Reason::protocol, "challenge after AUTH was cancelled", &r);
    const sasl::Answer answer = sasl_->challenge_base64(r.text);
    if (answer.protocol)
      return fail(Reason::protocol,
                  "unexpected challenge to AUTH " + sasl_->name() + ": " + answer.problem, &r);
    if (answer.abort) {
      auth_problem_ = answer.problem;
      transcript_.note("cancelling AUTH: " + answer.problem);
      return send(Cmd::auth, "login", "*");  // RFC 5034 section 4: the client cancels
    }
    return send(Cmd::auth, "login", answer.response, std::string(kRedacted));
  }
  if (!auth_problem_.empty())
    return fail(Reason::auth_failed, "AUTH " + sasl_->name() + " cancelled: " + auth_problem_, &r);
  if (!r.ok()) {
    const std::string detail = sasl_->refusal_detail();
    return fail(Reason::auth_failed,
                "authentication failed" + (detail.empty() ? "" : "; " + detail), &r);
  }
  if (const std::optional<std::string> problem = sasl_->succeeded())
    return fail(Reason::auth_failed, "AUTH " + sasl_->name() + ": " + *problem, &r);
  return logged_in();
}

Action Client::after_user(const Reply& r) {
  if (!r.ok()) return fail(Reason::auth_failed, "server refused the user name", &r);
  return send(Cmd::pass, "login", "PASS " + cfg_.secret, "PASS " + std::string(kRedacted));
}

Action Client::after_pass(const Reply& r) {
  if (!r.ok()) return fail(Reason::auth_failed, "authentication failed", &r);
  return logged_in();
}

Action Client::logged_in() {
  return uidl();
}

bool Client::has_capability(std::string_view name) const {
  for (const std::string& c : outcome_.capabilities)
    if (c == name ||
        (c.size() > name.size() && c.compare(0, name.size(), name) == 0 && c[name.size()] == ' '))
      return true;
  return false;
}

// CAPA's SASL line (RFC 2449), the names upper-cased as sasl::choose() takes them.
std::vector<std::string> Client::sasl_offered() const {
  std::vector<std::string> names;
  for (const std::string& c : outcome_.capabilities) {
    if (c.rfind("SASL ", 0) != 0) continue;
    std::string_view rest = std::string_view(c).substr(5);
    while (!rest.empty()) {
      const auto space = rest.find(' ');
      if (space != 0) names.push_back(upper(rest.substr(0, space)));
      if (space == std::string_view::npos) break;
      rest.remove_prefix(space + 1);
    }
  }
  return names;
}

// ---- The end ------------------------------------------------------------------------------------

Action Client::fail(Reason reason, std::string message, const Reply* reply) {
  Failure failure{reason, phase_, scrub_(std::move(message)), std::nullopt};
  if (reply != nullptr) {
    const char* status = reply->kind == Reply::Kind::ok    ? "+OK"
                         : reply->kind == Reply::Kind::err ? "-ERR"
                                                           : "+";
    failure.reply = ServerReply{0, scrub_(reply->code), scrub_(reply->text), status};
  }
  transcript_.note("failed (" + std::string(to_string(reason)) + "): " + failure.message);
  done_ = true;
  final_ = Action::fail(std::move(failure));
  return final_;
}

}  // namespace mc::proto::pop3
