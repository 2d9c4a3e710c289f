// A mail platform in memory, for the runner's unit tests: a clock that moves only when told,
// and a Transport whose connections run the real protocol machines against scripted SMTP and
// IMAP servers sharing one mailbox. No sockets, no sleeps: a poll interval or a slow reply is
// the clock moving forward.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transport/clock.hpp"
#include "transport/connection.hpp"

namespace scripted {

using namespace std::chrono_literals;
using mc::Mono;
using mc::Wall;

class FakeClock final : public mc::Clock {
 public:
  FakeClock();
  Mono::time_point now() const override { return now_; }
  Wall::time_point wall_now() const override {
    return wall0_ + std::chrono::duration_cast<Wall::duration>(now_ - mono0_);
  }
  boost::asio::awaitable<void> sleep_until(Mono::time_point t) override;
  void advance(Mono::duration d) { now_ += d; }

 private:
  Mono::time_point mono0_;
  Wall::time_point wall0_;
  Mono::time_point now_;
};

// One stored message.
struct Message {
  std::uint32_t uid = 0;
  std::string token;   // its X-Mailcanary-Token, "" for a user's mail
  std::string header;  // the header block, CRLF lines, ending in an empty line
  Mono::time_point visible_at{};
  bool deleted = false;
};

// The platform both servers share: what SMTP accepts appears in the mailbox `delivery` later.
struct Platform {
  explicit Platform(FakeClock& c) : clock(c) {}
  FakeClock& clock;
  Mono::duration latency = 2ms;     // every server reply
  Mono::duration delivery = 400ms;  // accepted -> visible in INBOX
  bool deliver = true;              // false: accepted mail never arrives
  std::map<std::string, std::vector<Message>> mailboxes{{"INBOX", {}}};
  std::uint32_t next_uid = 1;
  std::uint32_t uidvalidity = 1700000000;
  std::string password = "S3ntinel-Runner!";
  std::string extra_headers;  // CRLF lines the mailstore adds to every message it stores
  // The certificate every TLS handshake meets: its verified chain's earliest expiry (none when
  // unset) and its fingerprint.
  std::optional<Wall::time_point> cert_not_after;
  std::string cert_fingerprint;
  // A fault: the IMAP command (after the tag, e.g. "SELECT") that gets no answer.
  std::string imap_hangs_on;
  bool smtp_rejects_rcpt = false;  // a fault: RCPT TO gets 550 5.1.1
  // Policies: RCPT TO gets `rcpt_reply` (a CRLF-ended reply) instead of 250; the first
  // `greylist_rcpts` RCPTs get `greylist_reply`.
  std::string rcpt_reply;
  int greylist_rcpts = 0;
  std::string greylist_reply =
      "450 4.7.1 <probe@mail.test>: Recipient address rejected: Greylisted, try again in 30 "
      "seconds\r\n";

  // What the servers saw, for the tests to check.
  int connects = 0;
  int imap_logins = 0;
  int imap_logouts = 0;
  std::vector<std::string> imap_commands;  // without tags, credentials as "LOGIN ..."
  std::vector<std::string> smtp_commands;

  void store(const std::string& mailbox, const std::string& token, Mono::time_point at);
  std::size_t count_with(const std::string& token) const;  // in any mailbox, not expunged
};

class ScriptedTransport final : public mc::Transport {
 public:
  explicit ScriptedTransport(Platform& p) : p_(p) {}
  std::unique_ptr<mc::Connection> connect(mc::SessionOptions opts) override;

 private:
  Platform& p_;
};

}  // namespace scripted
