// The scripted dialogue harness of the SMTP client tests: a Dialogue drives a Client like the Asio
// driver does, without a socket, checks every byte the client writes exactly, and proves on its
// way out that the secret never reached a record. With it, the configs and scripts of every kind
// of session.
#pragma once

#include <catch2/catch.hpp>

#include <cstddef>
#include <exception>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/smtp.hpp"

namespace smtp_dialogue {

using namespace mc::proto;
using namespace mc::proto::smtp;
using Kind = Action::Kind;
using Dir = TranscriptLine::Dir;

inline constexpr std::string_view kUser = "probe@example.test";
inline constexpr std::string_view kSecret = "S3ntinel-P4ss!";
// base64("\0probe@example.test\0S3ntinel-P4ss!"), base64(user), base64(secret), computed apart.
inline constexpr std::string_view kPlainResponse =
    "AHByb2JlQGV4YW1wbGUudGVzdABTM250aW5lbC1QNHNzIQ==";
inline constexpr std::string_view kUserB64 = "cHJvYmVAZXhhbXBsZS50ZXN0";
inline constexpr std::string_view kSecretB64 = "UzNudGluZWwtUDRzcyE=";
inline constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();

inline bool mentions_secret(std::string_view s) {
  for (std::string_view form : {kSecret, kSecretB64, kPlainResponse}) {
    if (s.find(form) != std::string_view::npos) return true;
  }
  return false;
}

// One turn of a dialogue: what the client must do, then what the server answers.
struct Turn {
  std::string phase;
  std::string client;  // exact bytes the client writes; empty: nothing (the banner)
  std::string server;  // bytes the server answers; empty: nothing (the TLS handshake)
  bool tls = false;    // the client asks for the TLS handshake instead of writing
};
using Script = std::vector<Turn>;

// Drives a Client like the Asio driver does, without a socket.
class Dialogue {
 public:
  explicit Dialogue(Config cfg) : client_(std::move(cfg)), action_(client_.start()) {}
  Dialogue(const Dialogue&) = delete;
  Dialogue& operator=(const Dialogue&) = delete;
  // Every dialogue of this file proves that the secret never left the machine in a record.
  ~Dialogue() {
    if (std::uncaught_exceptions() == 0) check_no_secret();
  }

  void client_writes(std::string_view phase, std::string_view bytes) {
    REQUIRE(action_.kind == Kind::write);
    CHECK(action_.phase == phase);
    REQUIRE(action_.data == bytes);
    action_ = client_.on_written();
  }
  void client_starts_tls() {
    REQUIRE(action_.kind == Kind::start_tls);
    CHECK(action_.phase == "tls_handshake");
    action_ = client_.on_tls();
  }
  void server_sends(std::string_view phase, std::string_view bytes, std::size_t chunk = kAll) {
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
      REQUIRE(action_.kind == Kind::read);
      CHECK(action_.phase == phase);
      action_ = client_.on_input(bytes.substr(at, chunk));
    }
  }
  void server_closes(std::string_view phase) {
    REQUIRE(action_.kind == Kind::read);
    CHECK(action_.phase == phase);
    action_ = client_.on_input({});
  }

  // The client's side of a turn only: its write or its TLS handshake.
  void client_side(const Turn& t) {
    if (t.tls) {
      client_starts_tls();
    } else if (!t.client.empty()) {
      client_writes(t.phase, t.client);
    }
  }
  void play(const Turn& t, std::size_t chunk = kAll) {
    client_side(t);
    if (!t.server.empty()) server_sends(t.phase, t.server, chunk);
  }
  void play(const Script& script, std::size_t turns = kAll, std::size_t chunk = kAll) {
    for (std::size_t i = 0; i < script.size() && i < turns; ++i) {
      INFO("turn " << i << " (" << script[i].phase << ")");
      play(script[i], chunk);
    }
  }

  void require_success() {
    REQUIRE(action_.kind == Kind::done);
    INFO("failure: " << (action_.failure ? action_.failure->message : ""));
    REQUIRE_FALSE(action_.failure.has_value());
  }
  const Failure& require_failure(Reason reason, std::string_view phase) {
    REQUIRE(action_.kind == Kind::done);
    REQUIRE(action_.failure.has_value());
    INFO("message: " << action_.failure->message);
    CHECK(to_string(action_.failure->reason) == to_string(reason));
    CHECK(action_.failure->phase == phase);
    CHECK(action_.phase == phase);
    return *action_.failure;
  }

  bool transcript_has(Dir dir, std::string_view text) const {
    for (const TranscriptLine& line : client_.transcript().lines()) {
      if (line.dir == dir && line.text == text) return true;
    }
    return false;
  }
  bool note_contains(std::string_view part) const {
    for (const TranscriptLine& line : client_.transcript().lines()) {
      if (line.dir == Dir::note && line.text.find(part) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> client_lines() const {
    std::vector<std::string> out;
    for (const TranscriptLine& line : client_.transcript().lines()) {
      if (line.dir == Dir::client) out.push_back(line.text);
    }
    return out;
  }

  Client& client() { return client_; }
  const Action& action() const { return action_; }

 private:
  void check_no_secret() const {
    for (const TranscriptLine& line : client_.transcript().lines()) {
      INFO("transcript line: " << line.text);
      CHECK_FALSE(mentions_secret(line.text));
    }
    if (action_.failure) {
      CHECK_FALSE(mentions_secret(action_.failure->message));
      if (action_.failure->reply) CHECK_FALSE(mentions_secret(action_.failure->reply->text));
    }
  }

  Client client_;
  Action action_;
};

// ---------------------------------------------------------------- configs and scripts

inline Config submission() {
  Config c;
  c.ehlo_name = "probe.example";
  c.auth = Credentials{std::string(kUser), std::string(kSecret)};
  c.mail_from = kUser;
  c.rcpt_to = {std::string(kUser)};
  c.message = "Subject: probe\r\n\r\nhello\r\n";
  return c;
}

inline Config login_submission() {
  Config c = submission();
  c.auth->mechanism = mc::proto::sasl::Mechanism::login;
  return c;
}

inline Config implicit_tls() {
  Config c = submission();
  c.implicit_tls = true;
  return c;
}

inline Config mx_delivery() {
  Config c = submission();
  c.auth.reset();
  c.starttls = StartTls::optional;
  return c;
}

inline const std::string kBanner = "220 mail.example.test ESMTP Postfix\r\n";
inline const std::string kEhlo = "EHLO probe.example\r\n";
inline const std::string kEhloWithStarttls =
    "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n";
inline const std::string kEhloWithAuth =
    "250-mail.example.test\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n";
inline const std::string kMessageWire = "Subject: probe\r\n\r\nhello\r\n.\r\n";
inline const std::string kQueued = "250 2.0.0 Ok: queued as 72DC6A72182\r\n";

inline Script opening_with_starttls() {
  return {
      {"banner", "", kBanner},
      {"ehlo", kEhlo, kEhloWithStarttls},
      {"starttls", "STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n"},
      {"tls_handshake", "", "", true},
      {"ehlo_tls", kEhlo, kEhloWithAuth},
  };
}

inline Turn plain_auth() {
  return {"auth", "AUTH PLAIN " + std::string(kPlainResponse) + "\r\n",
          "235 2.7.0 Authentication successful\r\n"};
}

inline Script login_auth() {
  return {
      {"auth", "AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n"},
      {"auth", std::string(kUserB64) + "\r\n", "334 UGFzc3dvcmQ6\r\n"},
      {"auth", std::string(kSecretB64) + "\r\n", "235 2.7.0 Authentication successful\r\n"},
  };
}

// MAIL FROM to QUIT, the same for every kind of session.
inline Script transaction(const std::vector<std::string>& rcpts = {std::string(kUser)}) {
  Script s = {{"mail_from", "MAIL FROM:<probe@example.test>\r\n", "250 2.1.0 Ok\r\n"}};
  for (const std::string& r : rcpts)
    s.push_back({"rcpt_to", "RCPT TO:<" + r + ">\r\n", "250 2.1.5 Ok\r\n"});
  s.push_back({"data", "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n"});
  s.push_back({"message", kMessageWire, kQueued});
  s.push_back({"quit", "QUIT\r\n", "221 2.0.0 Bye\r\n"});
  return s;
}

inline Script concat(std::initializer_list<Script> parts) {
  Script all;
  for (const Script& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

inline Script submission_script() {
  return concat({opening_with_starttls(), {plain_auth()}, transaction()});
}
inline Script login_script() {
  return concat({opening_with_starttls(), login_auth(), transaction()});
}
inline Script implicit_tls_script() {
  return concat(
      {{{"banner", "", kBanner}, {"ehlo", kEhlo, kEhloWithAuth}, plain_auth()}, transaction()});
}
inline Script mx_script() {
  return concat({{{"banner", "", kBanner},
                  {"ehlo", kEhlo, "250-mx.example.test\r\n250-SIZE 1000\r\n250 8BITMIME\r\n"}},
                 transaction()});
}

struct Flow {
  std::string name;
  Config cfg;
  Script script;
};

inline std::vector<Flow> all_flows() {
  return {{"submission, STARTTLS, AUTH PLAIN", submission(), submission_script()},
          {"submission, STARTTLS, AUTH LOGIN", login_submission(), login_script()},
          {"implicit TLS", implicit_tls(), implicit_tls_script()},
          {"MX delivery without TLS", mx_delivery(), mx_script()}};
}

// Plays a script up to turn k, then only the client's side of turn k.
inline void play_until(Dialogue& d, const Script& script, std::size_t k) {
  d.play(script, k);
  d.client_side(script[k]);
}

}  // namespace smtp_dialogue
