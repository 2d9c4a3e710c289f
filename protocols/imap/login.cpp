#include <utility>

#include "codec/base64.hpp"
#include "protocols/imap/tasks.hpp"
#include "protocols/imap/text.hpp"

namespace mc::proto::imap {

using namespace detail;
using codec::base64_encode;

Login::Login(Link& link) : Task(link, Needs::fresh, "greeting") {}
Login::~Login() = default;

Action Login::begin() {
  link().greeted = true;
  return await_greeting();
}

std::optional<Action> Login::greeting(const Response& r) {
  if (r.kind != Response::Kind::untagged) {
    return fail(Reason::protocol, "expected an untagged greeting", &r);
  }
  take_response_code(r);
  if (r.status == "BYE") return fail(Reason::rejected, "server refused the connection", &r);
  if (r.status == "PREAUTH") {
    link().preauth = true;
    if (!link().tls && link().cfg.starttls == StartTls::required) {
      // STARTTLS is only allowed before authentication, so this session can never be secured.
      set_phase("starttls");
      return fail(Reason::starttls_unavailable,
                  "server pre-authenticated a plaintext connection; STARTTLS is impossible", &r);
    }
  } else if (r.status != "OK") {
    return fail(Reason::protocol, "expected OK, PREAUTH or BYE as greeting", &r);
  }
  return capability();
}

Action Login::completed(const Response&) {
  switch (std::exchange(cmd_, Cmd::none)) {
    case Cmd::capability:
      return after_capability();
    case Cmd::starttls:
      return after_starttls();
    case Cmd::login:
      return logged_in();
    case Cmd::authenticate:
      if (const std::optional<std::string> problem = sasl_->succeeded()) {
        return fail(Reason::auth_failed, "AUTHENTICATE " + sasl_->name() + ": " + *problem);
      }
      return logged_in();
    case Cmd::none:
      break;
  }
  return fail(Reason::internal, "completion of no command");
}

Action Login::refused(const Response& r) {
  const bool bad = r.status == "BAD";
  switch (std::exchange(cmd_, Cmd::none)) {
    case Cmd::starttls:
      return fail(Reason::starttls_unavailable, "server refused STARTTLS", &r);
    case Cmd::login:
      if (bad) return fail(Reason::protocol, "server called the login command malformed", &r);
      return fail(Reason::auth_failed, "authentication failed", &r);
    case Cmd::authenticate: {
      const std::string what = "AUTHENTICATE " + sasl_->name();
      // The server's BAD is its answer to the "*" that cancelled the exchange.
      if (!auth_problem_.empty())
        return fail(Reason::auth_failed, what + " cancelled: " + auth_problem_, &r);
      if (bad) return fail(Reason::protocol, "server called " + what + " malformed", &r);
      const std::string detail = sasl_->refusal_detail();
      return fail(Reason::auth_failed, what + " failed" + (detail.empty() ? "" : "; " + detail),
                  &r);
    }
    default:
      return Task::refused(r);
  }
}

Action Login::tls_up() {
  link().tls = true;
  link().capabilities.clear();  // what the server said in plaintext may have been forged
  return capability();
}

Action Login::capability() {
  cmd_ = Cmd::capability;
  return send("capability", command().word("CAPABILITY").finish());
}

Action Login::after_capability() {
  const LinkState& s = link();
  if (!s.tls && s.cfg.starttls != StartTls::off) {
    if (s.preauth) {
      link().transcript.note("pre-authenticated: continuing without TLS (starttls optional)");
    } else if (has_capability("STARTTLS")) {
      return starttls();
    } else if (s.cfg.starttls == StartTls::required) {
      set_phase("starttls");  // as in SMTP: the step that could not happen
      return fail(Reason::starttls_unavailable,
                  "STARTTLS required but the server does not offer it");
    } else {
      link().transcript.note("STARTTLS not offered: continuing without TLS (starttls optional)");
    }
  }
  return s.preauth ? logged_in() : login();
}

Action Login::starttls() {
  if (link().in.buffered() > 0) {
    return fail(Reason::protocol, "server sent data ahead of STARTTLS; refusing to continue");
  }
  cmd_ = Cmd::starttls;
  return send("starttls", command().word("STARTTLS").finish());
}

Action Login::after_starttls() {
  // CVE-2021-22947: anything already buffered was sent in plaintext, possibly by an attacker,
  // and must never be read as if it came through TLS.
  if (link().in.buffered() > 0) {
    return fail(Reason::protocol, "server sent data after the STARTTLS reply; plaintext refused");
  }
  return handshake();
}

Action Login::login() {
  LinkState& s = link();
  const sasl::Credentials c{s.cfg.user, s.cfg.secret, s.cfg.secret_is_token, s.cfg.mechanism};
  std::vector<std::string> offered;
  for (const std::string& cap : s.capabilities)
    if (cap.starts_with("AUTH=")) offered.push_back(cap.substr(5));
  const bool login_allowed = !has_capability("LOGINDISABLED") && !s.cfg.secret_is_token;
  const std::optional<sasl::Mechanism> chosen = sasl::choose(c, offered);
  // Every server speaks the LOGIN command: it stays the choice for a password unless the
  // account names a mechanism or the server offers SCRAM; "login" falls back to it.
  const bool prefer_command = !s.cfg.mechanism
                                  ? chosen != sasl::Mechanism::scram_sha_256
                                  : *s.cfg.mechanism == sasl::Mechanism::login && !chosen;
  const bool use_command = login_allowed && prefer_command;
  // Checked once the method is known, whichever it is: whoever strips STARTTLS from the path
  // would read the password or the token, or replay a SCRAM proof to a server of their own.
  if (!s.tls) {
    if (!s.cfg.allow_plaintext_auth) {
      set_phase("starttls");
      const std::string what = use_command || !chosen
                                   ? std::string("LOGIN")
                                   : "AUTHENTICATE " + std::string(sasl::wire_name(*chosen));
      return fail(Reason::starttls_unavailable,
                  plaintext_refusal(s.cfg.starttls == StartTls::off, what));
    }
    s.plaintext_auth = true;
    s.transcript.note("sending credentials without TLS (allow_plaintext_auth)");
  }
  if (!use_command && !chosen) {
    set_phase("login");
    std::string list;
    for (const std::string& m : offered) list += (list.empty() ? "" : " ") + m;
    return fail(Reason::auth_failed,
                std::string(has_capability("LOGINDISABLED") ? "server disables LOGIN and " : "") +
                    "offers no AUTH=" + sasl::wanted(c) +
                    " (offered: " + (list.empty() ? "none" : list) + ")");
  }
  if (use_command) {
    CommandBuilder cmd = command();
    cmd.word("LOGIN").astring(s.cfg.user, true).astring(s.cfg.secret, true);
    cmd_ = Cmd::login;
    link().auth_mechanism = "LOGIN command";
    return send("login", cmd.finish());
  }
  return authenticate(*chosen);
}

Action Login::authenticate(sasl::Mechanism m) {
  LinkState& s = link();
  sasl::Credentials c{s.cfg.user, s.cfg.secret, s.cfg.secret_is_token, s.cfg.mechanism};
  c.nonce = s.cfg.sasl_nonce;
  sasl_ = sasl::start(m, std::move(c));
  s.auth_mechanism = sasl_->name();
  CommandBuilder cmd = command();
  cmd.word("AUTHENTICATE " + sasl_->name());
  if (const std::optional<std::string> initial = sasl_->initial_response()) {
    // RFC 4959: "=" is an empty initial response; without SASL-IR it answers the first "+".
    const std::string response = initial->empty() ? "=" : base64_encode(*initial);
    if (has_capability("SASL-IR")) {
      cmd.secret_word(response);
    } else {
      cmd.secret_line(initial->empty() ? "" : response);
    }
  }
  cmd_ = Cmd::authenticate;
  return send("login", cmd.finish());
}

std::optional<Action> Login::continued(const Response& r) {
  if (cmd_ != Cmd::authenticate || !auth_problem_.empty()) return Task::continued(r);
  const sasl::Answer answer = sasl_->challenge_base64(trim(r.text));
  if (answer.protocol) {
    return fail(Reason::protocol,
                "unexpected challenge to AUTHENTICATE " + sasl_->name() + ": " + answer.problem,
                &r);
  }
  if (answer.abort) {
    auth_problem_ = answer.problem;
    link().transcript.note("cancelling AUTHENTICATE: " + answer.problem);
    return continue_command("login", "*");
  }
  return continue_command("login", answer.response, std::string(kRedacted));
}

Action Login::logged_in() {
  link().authenticated = true;
  return succeed();
}

}  // namespace mc::proto::imap
