#include "tests/unit/scripted_platform.hpp"

#include <algorithm>
#include <sstream>

#include "codec/base64.hpp"

namespace scripted {
namespace {

using mc::Failure;
using mc::Reason;
using mc::proto::Action;

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "7", "7,9", "3:5" as the UIDs or sequence numbers they name.
std::vector<std::uint32_t> parse_set(const std::string& set) {
  std::vector<std::uint32_t> out;
  std::istringstream in(set);
  for (std::string part; std::getline(in, part, ',');) {
    const auto colon = part.find(':');
    if (colon == std::string::npos) {
      out.push_back(static_cast<std::uint32_t>(std::stoul(part)));
    } else {
      const auto a = static_cast<std::uint32_t>(std::stoul(part.substr(0, colon)));
      const auto b = static_cast<std::uint32_t>(std::stoul(part.substr(colon + 1)));
      for (auto u = std::min(a, b); u <= std::max(a, b); ++u) out.push_back(u);
    }
  }
  return out;
}

// One scripted server: bytes from the client in, bytes to send back out.
class Server {
 public:
  virtual ~Server() = default;
  virtual void feed(std::string_view bytes) = 0;
  std::string output;
  bool closed = false;
  bool hanging = false;  // a command of the client got no answer
};

class ImapServer final : public Server {
 public:
  explicit ImapServer(Platform& p) : p_(p) { output = "* OK [CAPABILITY IMAP4rev1] ready\r\n"; }

  void feed(std::string_view bytes) override {
    in_ += bytes;
    for (auto eol = in_.find("\r\n"); eol != std::string::npos; eol = in_.find("\r\n")) {
      const std::string line = in_.substr(0, eol);
      in_.erase(0, eol + 2);
      command(line);
    }
  }

 private:
  std::vector<Message>* selected() {
    auto it = p_.mailboxes.find(selected_);
    return it == p_.mailboxes.end() ? nullptr : &it->second;
  }

  void command(const std::string& line) {
    const auto w = words(line);
    if (w.size() < 2) return;
    const std::string tag = w[0];
    std::string verb = upper(w[1]);
    std::size_t arg = 2;
    if (verb == "UID" && w.size() > 2) {
      verb = "UID " + upper(w[2]);
      arg = 3;
    }
    p_.imap_commands.push_back(verb == "LOGIN" ? "LOGIN ..." : verb);
    if (!p_.imap_hangs_on.empty() && verb == p_.imap_hangs_on) {
      hanging = true;
      return;
    }
    auto ok = [&](const std::string& text) { output += tag + " OK " + text + "\r\n"; };
    if (verb == "CAPABILITY") {
      output += "* CAPABILITY IMAP4rev1 UIDPLUS AUTH=PLAIN\r\n";
      ok("CAPABILITY completed");
    } else if (verb == "LOGIN" && w.size() >= 4) {
      ++p_.imap_logins;
      if (unquote(w[3]) == p_.password)
        ok("[CAPABILITY IMAP4rev1 UIDPLUS] Logged in");
      else
        output += tag + " NO [AUTHENTICATIONFAILED] Authentication failed.\r\n";
    } else if (verb == "LIST") {
      for (const auto& [name, _] : p_.mailboxes)
        output += "* LIST (\\HasNoChildren) \"/\" " + name + "\r\n";
      ok("LIST completed");
    } else if (verb == "SELECT" && w.size() > arg) {
      selected_ = unquote(w[arg]);
      auto* box = selected();
      if (box == nullptr) {
        selected_.clear();
        output += tag + " NO [NONEXISTENT] Mailbox doesn't exist: " + unquote(w[arg]) + "\r\n";
        return;
      }
      output += "* " + std::to_string(box->size()) + " EXISTS\r\n* OK [UIDVALIDITY " +
                std::to_string(p_.uidvalidity) + "] UIDs valid\r\n";
      ok("[READ-WRITE] Select completed");
    } else if (verb == "UID SEARCH" && w.size() > arg) {
      std::string hits;
      auto* box = selected();
      const bool deleted = upper(w[arg]) == "DELETED";
      // UID SEARCH [UID n:*] OR HEADER X-Mailcanary-Token "<token>" TEXT "<token>"
      std::string token;
      for (std::size_t i = arg; i + 1 < w.size(); ++i)
        if (w[i] == "X-Mailcanary-Token") token = unquote(w[i + 1]);
      for (const auto& m : box ? *box : std::vector<Message>{}) {
        if (m.visible_at > p_.clock.now()) continue;
        if (deleted ? m.deleted : (!token.empty() && m.token == token))
          hits += " " + std::to_string(m.uid);
      }
      output += "* SEARCH" + hits + "\r\n";
      ok("Search completed");
    } else if ((verb == "UID FETCH" || verb == "FETCH") && w.size() > arg) {
      auto* box = selected();
      const auto set = parse_set(w[arg]);
      for (std::size_t i = 0; box != nullptr && i < box->size(); ++i) {
        const Message& m = (*box)[i];
        const std::uint32_t key = verb == "FETCH" ? static_cast<std::uint32_t>(i + 1) : m.uid;
        if (std::find(set.begin(), set.end(), key) == set.end()) continue;
        const std::string section =
            verb == "FETCH" ? "BODY[HEADER.FIELDS (DATE FROM SUBJECT)]" : "BODY[HEADER]";
        output += "* " + std::to_string(i + 1) + " FETCH (UID " + std::to_string(m.uid) +
                  " FLAGS (" + (m.deleted ? "\\Deleted" : "") + ") " + section + " {" +
                  std::to_string(m.header.size()) + "}\r\n" + m.header + ")\r\n";
      }
      ok("Fetch completed");
    } else if (verb == "UID STORE" && w.size() > arg) {
      const auto set = parse_set(w[arg]);
      for (auto& m : *selected())
        if (std::find(set.begin(), set.end(), m.uid) != set.end()) m.deleted = true;
      ok("Store completed");
    } else if (verb == "UID EXPUNGE" || verb == "EXPUNGE") {
      const auto set = verb == "EXPUNGE" ? std::vector<std::uint32_t>{} : parse_set(w[arg]);
      auto* box = selected();
      for (std::size_t i = box->size(); i-- > 0;) {
        const Message& m = (*box)[i];
        if (!m.deleted) continue;
        if (verb != "EXPUNGE" && std::find(set.begin(), set.end(), m.uid) == set.end()) continue;
        output += "* " + std::to_string(i + 1) + " EXPUNGE\r\n";
        box->erase(box->begin() + static_cast<std::ptrdiff_t>(i));
      }
      ok("Expunge completed");
    } else if (verb == "NOOP") {
      ok("NOOP completed");
    } else if (verb == "LOGOUT") {
      ++p_.imap_logouts;
      output += "* BYE Logging out\r\n";
      ok("Logout completed");
      closed = true;
    } else {
      output += tag + " BAD Unknown command\r\n";
    }
  }

  Platform& p_;
  std::string in_;
  std::string selected_;
};

class SmtpServer final : public Server {
 public:
  explicit SmtpServer(Platform& p) : p_(p) { output = "220 mail.test ESMTP\r\n"; }

  void feed(std::string_view bytes) override {
    in_ += bytes;
    for (;;) {
      if (data_) {
        const auto end = in_.find("\r\n.\r\n");
        if (end == std::string::npos) return;
        message(in_.substr(0, end + 2));
        in_.erase(0, end + 5);
        data_ = false;
        continue;
      }
      const auto eol = in_.find("\r\n");
      if (eol == std::string::npos) return;
      const std::string line = in_.substr(0, eol);
      in_.erase(0, eol + 2);
      command(line);
    }
  }

 private:
  void command(const std::string& line) {
    const auto w = words(line);
    const std::string verb = w.empty() ? "" : upper(w[0]);
    p_.smtp_commands.push_back(verb);
    if (verb == "EHLO") {
      output += "250-mail.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n";
    } else if (verb == "AUTH") {
      const std::string want =
          mc::codec::base64_encode(std::string(1, '\0') + "probe@mail.test" + '\0' + p_.password);
      output += w.size() > 2 && w[2] == want ? "235 2.7.0 Authentication successful\r\n"
                                             : "535 5.7.8 Authentication failed\r\n";
    } else if (verb == "RCPT" && p_.smtp_rejects_rcpt) {
      output += "550 5.1.1 <probe@mail.test>: Recipient address rejected\r\n";
    } else if (verb == "RCPT" && p_.greylist_rcpts > 0) {
      --p_.greylist_rcpts;
      output += p_.greylist_reply;
    } else if (verb == "RCPT" && !p_.rcpt_reply.empty()) {
      output += p_.rcpt_reply;
    } else if (verb == "RSET") {
      output += "250 2.0.0 Ok\r\n";
    } else if (verb == "MAIL" || verb == "RCPT") {
      output += "250 2.1.0 Ok\r\n";
    } else if (verb == "DATA") {
      output += "354 End data with <CR><LF>.<CR><LF>\r\n";
      data_ = true;
    } else if (verb == "QUIT") {
      output += "221 2.0.0 Bye\r\n";
      closed = true;
    } else {
      output += "502 5.5.2 Error: command not recognized\r\n";
    }
  }

  void message(const std::string& text) {
    const std::string header = "X-Mailcanary-Token: ";
    const auto at = text.find(header);
    const std::string token =
        at == std::string::npos
            ? ""
            : text.substr(at + header.size(), text.find("\r\n", at) - at - header.size());
    if (p_.deliver) p_.store("INBOX", token, p_.clock.now() + p_.delivery);
    output += "250 2.0.0 Ok: queued as 4XyZ" + std::to_string(++queued_) + "\r\n";
  }

  Platform& p_;
  std::string in_;
  bool data_ = false;
  int queued_ = 0;
};

class ScriptedConnection final : public mc::Connection {
 public:
  ScriptedConnection(Platform& p, mc::SessionOptions o) : p_(p), o_(std::move(o)) {}

  boost::asio::awaitable<mc::SessionOutcome> run(mc::proto::Machine& m,
                                                 Mono::time_point deadline) override {
    out_ = {};
    current_.clear();
    if (!server_) {
      enter("connect");
      ++p_.connects;
      p_.clock.advance(1ms);
      if (o_.port == 465 || o_.port == 25 || o_.port == 587)
        server_ = std::make_unique<SmtpServer>(p_);
      else
        server_ = std::make_unique<ImapServer>(p_);
      address_ = "192.0.2.1:" + std::to_string(o_.port);
      if (o_.implicit_tls) {
        enter("tls_handshake");
        p_.clock.advance(3ms);
        tls_ = handshake();
      }
    }
    Action a = m.start();
    for (;;) {
      enter(a.phase);
      if (broken_)
        co_return finish(Failure{Reason::disconnected, current_, "closed", std::nullopt});
      if (a.kind != Action::Kind::done && p_.clock.now() >= deadline) co_return timeout();
      switch (a.kind) {
        case Action::Kind::write:
          server_->feed(a.data);
          a = m.on_written();
          break;
        case Action::Kind::read: {
          if (server_->output.empty()) {
            if (server_->closed) {
              a = m.on_input("");
              break;
            }
            // No answer is coming: the deadline is what ends the wait.
            p_.clock.advance(deadline - p_.clock.now());
            co_return timeout();
          }
          p_.clock.advance(p_.latency);
          if (p_.clock.now() > deadline) {
            p_.clock.advance(deadline - p_.clock.now());
            co_return timeout();
          }
          const std::string bytes = std::exchange(server_->output, {});
          a = m.on_input(bytes);
          break;
        }
        case Action::Kind::start_tls:
          p_.clock.advance(3ms);
          tls_ = handshake();
          a = m.on_tls();
          break;
        case Action::Kind::wait:
          if (p_.clock.now() + a.wait >= deadline) {
            p_.clock.advance(deadline - p_.clock.now());
            co_return timeout();
          }
          p_.clock.advance(a.wait);
          a = m.on_waited();
          break;
        case Action::Kind::done:
          co_return finish(std::move(a.failure), /*open=*/true);
      }
    }
  }
  bool is_open() const override { return server_ != nullptr && !server_->closed && !broken_; }
  void close() override { broken_ = true; }

 private:
  void enter(const std::string& phase) {
    if (phase.empty() || phase == current_) return;
    close_phase();
    current_ = phase;
    out_.phases.push_back({phase, p_.clock.now(), p_.clock.now()});
  }
  void close_phase() {
    if (!out_.phases.empty()) out_.phases.back().end = p_.clock.now();
  }
  mc::TlsFacts handshake() const {
    mc::TlsFacts t;
    t.version = "TLSv1.3";
    t.cipher = "TLS_AES_256_GCM_SHA384";
    t.verified = true;
    if (p_.cert_not_after) {
      t.cert_not_after = t.chain_not_after = p_.cert_not_after;
      t.chain_expiry_s =
          std::chrono::duration<double>(*p_.cert_not_after - p_.clock.wall_now()).count();
      t.expiry_subject = "CN=mail.test";
    }
    t.fingerprint_sha256 = p_.cert_fingerprint;
    return t;
  }
  mc::SessionOutcome timeout() {
    const std::string phase = current_.empty() ? "connect" : current_;
    return finish(Failure{Reason::timeout, phase,
                          "no progress before the deadline in phase '" + phase + "'",
                          std::nullopt});
  }
  mc::SessionOutcome finish(std::optional<Failure> f, bool open = false) {
    close_phase();
    if (f && !open) broken_ = true;
    out_.failure = std::move(f);
    out_.address = address_;
    out_.tls = tls_;
    return std::move(out_);
  }

  Platform& p_;
  mc::SessionOptions o_;
  std::unique_ptr<Server> server_;
  bool broken_ = false;
  std::string address_;
  std::optional<mc::TlsFacts> tls_;
  std::string current_;
  mc::SessionOutcome out_;
};

}  // namespace

FakeClock::FakeClock()
    : mono0_(Mono::time_point(std::chrono::hours(1000))),
      wall0_(Wall::from_time_t(1'800'000'000)),
      now_(mono0_) {}

boost::asio::awaitable<void> FakeClock::sleep_until(Mono::time_point t) {
  if (t > now_) now_ = t;
  co_return;
}

void Platform::store(const std::string& mailbox, const std::string& token, Mono::time_point at) {
  Message m;
  m.uid = next_uid++;
  m.token = token;
  m.header = "Received: from probe by mail.test; " + mc::rfc5322_date(clock.wall_now()) + "\r\n" +
             extra_headers + "Subject: probe\r\n" +
             (token.empty() ? "" : "X-Mailcanary-Token: " + token + "\r\n") + "\r\n";
  m.visible_at = at;
  mailboxes[mailbox].push_back(std::move(m));
}

std::size_t Platform::count_with(const std::string& token) const {
  std::size_t n = 0;
  for (const auto& [_, box] : mailboxes)
    for (const auto& m : box) n += m.token == token ? 1 : 0;
  return n;
}

std::unique_ptr<mc::Connection> ScriptedTransport::connect(mc::SessionOptions opts) {
  return std::make_unique<ScriptedConnection>(p_, std::move(opts));
}

}  // namespace scripted
