#include <utility>

#include "codec/base64.hpp"
#include "protocols/imap/tasks.hpp"
#include "protocols/imap/text.hpp"

namespace mc::proto::imap {

using namespace detail;
using codec::base64_encode;

Login::Login(Link& link) : Task(link, Needs::fresh, "greeting") {}

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
  if (!s.tls) {
    // Whoever strips STARTTLS from the path would read the password: only the file may allow it.
    if (!s.cfg.allow_plaintext_auth) {
      set_phase("starttls");
      return fail(Reason::starttls_unavailable,
                  plaintext_refusal(s.cfg.starttls == StartTls::off, "LOGIN"));
    }
    s.plaintext_auth = true;
    s.transcript.note("sending credentials without TLS (allow_plaintext_auth)");
  }
  if (has_capability("LOGINDISABLED")) return authenticate_plain();
  CommandBuilder cmd = command();
  cmd.word("LOGIN").astring(s.cfg.user, true).astring(s.cfg.secret, true);
  cmd_ = Cmd::login;
  return send("login", cmd.finish());
}

Action Login::authenticate_plain() {
  if (!has_capability("AUTH=PLAIN")) {
    set_phase("login");
    return fail(Reason::auth_failed, "server disables LOGIN and offers no AUTH=PLAIN");
  }
  const LinkState& s = link();
  const std::string response =
      base64_encode(std::string(1, '\0') + s.cfg.user + '\0' + s.cfg.secret);
  CommandBuilder cmd = command();
  cmd.word("AUTHENTICATE PLAIN");
  if (has_capability("SASL-IR")) {
    cmd.secret_word(response);
  } else {
    cmd.secret_line(response);
  }
  cmd_ = Cmd::login;
  return send("login", cmd.finish());
}

Action Login::logged_in() {
  link().authenticated = true;
  return succeed();
}

}  // namespace mc::proto::imap
