// The scripted dialogue harness of the IMAP client tests: the test plays the server, and checks
// every byte the client writes and every action it asks for. No sockets, no clocks. It drives any
// Machine: the one-shot Client (play), or task machines one after another on one Link
// (play_machine). With it, the script pieces (greeting, LOGIN, SELECT, SEARCH, FETCH, LOGOUT)
// every dialogue is built from.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "codec/base64.hpp"
#include "protocols/imap.hpp"

namespace imap_dialogue {

using mc::Reason;
using mc::TranscriptLine;
using mc::codec::base64_encode;
using mc::proto::Action;
using mc::proto::kMaxLineBytes;
using mc::proto::kMaxLiteralBytes;
using mc::proto::LineBuffer;
using mc::proto::Machine;
// Named one by one: a class of protocols/imap may not hide a script piece of this file.
using mc::proto::imap::Client;
using mc::proto::imap::Config;
using mc::proto::imap::kMaxResponseBytes;
using mc::proto::imap::Mode;
using mc::proto::imap::Outcome;
using mc::proto::imap::StartTls;
using Kind = Action::Kind;

inline const std::string kUser = "probe@example.test";
inline const std::string kSentinel = "S3ntinel-P4ss!";
inline const std::string kToken = "3f9a0c1d2e4b5a6978877665544332211";
inline const std::string kUidValidity = "1700000000";

// ---- The scripted dialogue harness -------------------------------------------------------

struct Turn {
  enum class Who { client, server, tls, wait };
  Who who;
  std::string bytes;
};
using Script = std::vector<Turn>;

inline Turn C(std::string bytes) {
  return {Turn::Who::client, std::move(bytes)};
}
inline Turn S(std::string bytes) {
  return {Turn::Who::server, std::move(bytes)};
}
inline Turn Tls() {
  return {Turn::Who::tls, {}};
}
inline Turn Wait() {
  return {Turn::Who::wait, {}};
}

inline Script operator+(Script a, const Script& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

enum class Feed { whole, byte_by_byte };

// What one machine did in a dialogue.
struct Played {
  Machine* machine = nullptr;
  Action last;
  std::vector<Action> actions;      // every action the machine asked for, in order
  std::vector<std::string> writes;  // every byte string it wrote
};

// A dialogue of the one-shot Client, which it owns.
struct Run : Played {
  std::unique_ptr<Client> client;
};

inline Config config(Mode mode = Mode::wait) {
  Config cfg;
  cfg.user = kUser;
  cfg.secret = kSentinel;
  cfg.token = kToken;
  cfg.mode = mode;
  return cfg;
}

// The secret must never be readable anywhere a machine reports to, in any spelling.
inline void expect_no_secret(const mc::Transcript& transcript, const Action& last,
                             const std::string& user, const std::string& secret) {
  const std::vector<std::string> forms = {
      secret, base64_encode(secret), base64_encode(std::string(1, '\0') + user + '\0' + secret)};
  auto clean = [&](const std::string& text) {
    for (const std::string& form : forms) {
      INFO(text);
      CHECK(text.find(form) == std::string::npos);
    }
  };
  for (const TranscriptLine& line : transcript.lines()) {
    clean(line.text);
    // The user name is redacted from the commands that carry it.
    if (line.dir == TranscriptLine::Dir::client) CHECK(line.text.find(user) == std::string::npos);
  }
  if (last.failure) {
    clean(last.failure->message);
    if (last.failure->reply) {
      clean(last.failure->reply->text);
      clean(last.failure->reply->enhanced);
    }
  }
}

inline void expect_no_secret(const Client& client, const Action& last, const Config& cfg) {
  expect_no_secret(client.transcript(), last, cfg.user, cfg.secret);
}

inline void step(Played& run, Action next) {
  run.actions.push_back(next);
  run.last = std::move(next);
}

inline void play_server(Played& run, const std::string& bytes, Feed feed) {
  REQUIRE(run.last.kind == Kind::read);
  if (feed == Feed::byte_by_byte && bytes.size() > 1) {
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
      run.last = run.machine->on_input(bytes.substr(i, 1));
      INFO("byte " << i << " of " << bytes);
      REQUIRE(run.last.kind == Kind::read);
    }
    step(run, run.machine->on_input(bytes.substr(bytes.size() - 1)));
  } else {
    step(run, run.machine->on_input(bytes));
  }
}

// Plays `script` against a machine already started; REQUIREs every action the script expects.
// A Wait() turn expects a pause of `poll` in phase "search", or the wake-up of an IDLE.
inline void play_turns(Played& run, const Script& script, Feed feed,
                       std::chrono::milliseconds poll) {
  for (const Turn& turn : script) {
    switch (turn.who) {
      case Turn::Who::client:
        REQUIRE(run.last.kind == Kind::write);
        REQUIRE(run.last.data == turn.bytes);
        run.writes.push_back(run.last.data);
        step(run, run.machine->on_written());
        break;
      case Turn::Who::server:
        play_server(run, turn.bytes, feed);
        break;
      case Turn::Who::tls:
        REQUIRE(run.last.kind == Kind::start_tls);
        REQUIRE(run.last.phase == "tls_handshake");
        step(run, run.machine->on_tls());
        break;
      case Turn::Who::wait:
        if (run.last.kind == Kind::read) {
          // A long read (IDLE) whose wake-up came.
          REQUIRE(run.last.wait.count() > 0);
          REQUIRE(run.last.phase == "idle");
        } else {
          REQUIRE(run.last.kind == Kind::wait);
          REQUIRE(run.last.phase == "search");
          REQUIRE(run.last.wait == poll);
        }
        step(run, run.machine->on_waited());
        break;
    }
  }
}

// Starts `machine` (a task on a Link, or any other) and plays `script` against it.
inline Played play_machine(Machine& machine, const Script& script, Feed feed = Feed::whole,
                           std::chrono::milliseconds poll = std::chrono::milliseconds(250)) {
  Played run;
  run.machine = &machine;
  step(run, machine.start());
  play_turns(run, script, feed, poll);
  return run;
}

// Plays `script` against a fresh client; REQUIREs every action the script expects from it.
inline Run play(const Config& cfg, const Script& script, Feed feed = Feed::whole) {
  Run run;
  run.client = std::make_unique<Client>(cfg);
  run.machine = run.client.get();
  step(run, run.client->start());
  play_turns(run, script, feed, cfg.poll_interval);
  expect_no_secret(*run.client, run.last, cfg);
  return run;
}

inline void expect_success(const Played& run) {
  REQUIRE(run.last.kind == Kind::done);
  if (run.last.failure) FAIL(run.last.failure->message);
}

inline void expect_failure(const Played& run, Reason reason, const std::string& phase) {
  REQUIRE(run.last.kind == Kind::done);
  REQUIRE(run.last.failure.has_value());
  INFO(run.last.failure->message);
  CHECK(run.last.failure->reason == reason);
  CHECK(run.last.failure->phase == phase);
}

inline std::vector<std::string> write_phases(const Played& run) {
  std::vector<std::string> phases;
  for (const Action& a : run.actions) {
    if (a.kind == Kind::write) phases.push_back(a.phase);
  }
  return phases;
}

inline bool transcript_has(const Machine& machine, TranscriptLine::Dir dir,
                           const std::string& text) {
  for (const TranscriptLine& line : machine.transcript().lines()) {
    if (line.dir == dir && line.text.find(text) != std::string::npos) return true;
  }
  return false;
}

inline bool wrote(const Played& run, const std::string& text) {
  for (const std::string& w : run.writes) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

// ---- Script pieces ------------------------------------------------------------------------

inline std::string tag(int n) {
  return "a" + std::to_string(n);
}

inline std::string probe_header(const std::string& token_line = "X-Mailcanary-Token: " + kToken) {
  return "Return-Path: <probe@example.test>\r\n"
         "Subject: mailcanary probe\r\n" +
         token_line +
         "\r\n"
         "Message-ID: <1@example.test>\r\n"
         "\r\n";
}

inline std::string fetch_reply(int seq, int uid, const std::string& header) {
  return "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(uid) + " BODY[HEADER] {" +
         std::to_string(header.size()) + "}\r\n" + header + ")\r\n";
}

// A link to an imaps server (TLS from the start) as the dialogue's user, with its sentinel secret.
inline mc::proto::imap::LinkConfig link_config() {
  mc::proto::imap::LinkConfig cfg;
  cfg.implicit_tls = true;
  cfg.user = kUser;
  cfg.secret = kSentinel;
  return cfg;
}

inline std::string login_line(int n) {
  return tag(n) + " LOGIN \"" + kUser + "\" \"" + kSentinel + "\"\r\n";
}

inline std::string search_line(int n) {
  return tag(n) + " UID SEARCH OR HEADER X-Mailcanary-Token \"" + kToken + "\" TEXT \"" + kToken +
         "\"\r\n";
}

inline Script greeting_and_capability(const std::string& caps) {
  return {S("* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n"), C("a1 CAPABILITY\r\n"),
          S("* CAPABILITY " + caps +
            "\r\na1 OK Pre-login capabilities listed, post-login "
            "capabilities have more.\r\n")};
}

inline Script login(int n) {
  return {C(login_line(n)), S(tag(n) + " OK Logged in\r\n")};
}

inline Script select(int n, int exists = 3, const std::string& uidvalidity = kUidValidity) {
  return {C(tag(n) + " SELECT \"INBOX\"\r\n"),
          S("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags "
            "permitted.\r\n* " +
            std::to_string(exists) + " EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY " + uidvalidity +
            "] UIDs valid\r\n* OK [UIDNEXT 12] Predicted next UID\r\n" + tag(n) +
            " OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n")};
}

inline Script search(int n, const std::string& hits) {
  return {C(search_line(n)), S("* SEARCH" + hits + "\r\n" + tag(n) + " OK Search completed.\r\n")};
}

inline Script fetch(int n, const std::string& set, const std::string& replies) {
  return {C(tag(n) + " UID FETCH " + set + " (UID BODY.PEEK[HEADER])\r\n"),
          S(replies + tag(n) + " OK Fetch completed.\r\n")};
}

// The NOOP that comes before each poll's search.
inline Script noop(int n) {
  return {C(tag(n) + " NOOP\r\n"), S(tag(n) + " OK NOOP completed.\r\n")};
}

// IDLE until the server sends `news` (an EXISTS), then DONE.
inline Script idle_until(int n, const std::string& news) {
  return {C(tag(n) + " IDLE\r\n"), S("+ idling\r\n"), S(news), C("DONE\r\n"),
          S(tag(n) + " OK Idle completed (0.001 + 1.000 secs).\r\n")};
}

inline Script logout(int n) {
  return {C(tag(n) + " LOGOUT\r\n"),
          S("* BYE Logging out\r\n" + tag(n) + " OK Logout completed.\r\n")};
}

// imap:// without IDLE: STARTTLS, LOGIN, SELECT, an empty search, a sleep, NOOP, a hit, its
// header, LOGOUT.
inline Script happy_wait_script() {
  return Script{S("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n"),
                C("a1 CAPABILITY\r\n"),
                S("* CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED\r\na1 OK listed.\r\n"),
                C("a2 STARTTLS\r\n"),
                S("a2 OK Begin TLS negotiation now.\r\n"),
                Tls(),
                C("a3 CAPABILITY\r\n"),
                S("* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN\r\na3 OK listed.\r\n")} +
         Script{C(login_line(4)), S("a4 OK [CAPABILITY IMAP4rev1 UIDPLUS] Logged in\r\n")} +
         select(5) + search(6, "") + Script{Wait()} + noop(7) + search(8, " 7") +
         fetch(9, "7", fetch_reply(3, 7, probe_header())) + logout(10);
}

// imaps:// remove with UIDPLUS; `hits` is what the token search answers.
inline Script remove_uidplus_script(const std::string& hits, const std::string& set) {
  return greeting_and_capability("IMAP4rev1 UIDPLUS") + login(2) + select(3) + search(4, hits) +
         Script{C("a5 UID STORE " + set + " +FLAGS.SILENT (\\Deleted)\r\n"),
                S("a5 OK Store completed.\r\n"), C("a6 UID EXPUNGE " + set + "\r\n"),
                S("* 3 EXPUNGE\r\na6 OK Expunge completed.\r\n")} +
         logout(7);
}

// imaps:// remove without UIDPLUS; `deleted` is what UID SEARCH DELETED answers.
inline Script remove_plain_script(const std::string& deleted) {
  return greeting_and_capability("IMAP4rev1") + login(2) + select(3) + search(4, " 7") +
         Script{C("a5 UID STORE 7 +FLAGS.SILENT (\\Deleted)\r\n"), S("a5 OK Store completed.\r\n"),
                C("a6 UID SEARCH DELETED\r\n"),
                S("* SEARCH" + deleted + "\r\na6 OK Search completed.\r\n")};
}

inline Script remove_plain_expunged_script() {
  return remove_plain_script(" 7") +
         Script{C("a7 EXPUNGE\r\n"), S("* 3 EXPUNGE\r\na7 OK Expunge completed.\r\n")} + logout(8);
}

inline Config implicit(Mode mode = Mode::wait) {
  Config cfg = config(mode);
  cfg.implicit_tls = true;
  return cfg;
}

inline Config remove_config(std::vector<std::uint32_t> uids = {7}) {
  Config cfg = implicit(Mode::remove);
  cfg.uids = std::move(uids);
  cfg.uidvalidity = 1700000000;
  return cfg;
}

inline std::string read_phase(const Played& run) {
  REQUIRE(run.last.kind == Kind::read);
  return run.last.phase;
}

// Greeting, CAPABILITY and LOGIN over implicit TLS; `after_ok` follows the LOGIN's tagged OK in
// the same read.
inline Script login_script(const std::string& caps, const std::string& login_ok,
                           const std::string& after_ok = "") {
  return greeting_and_capability(caps) + Script{C(login_line(2)), S(login_ok + after_ok)};
}

// A link logged in with the pre-login capabilities IMAP4rev1 and the post-login ones `caps`.
inline void log_in(mc::proto::imap::Link& link, const std::string& caps = "IMAP4rev1 UIDPLUS",
                   const std::string& after_ok = "") {
  mc::proto::imap::Login signin(link);
  const Played run = play_machine(
      signin, login_script("IMAP4rev1", "a2 OK [CAPABILITY " + caps + "] Logged in\r\n", after_ok));
  expect_success(run);
  REQUIRE(link.authenticated());
}

}  // namespace imap_dialogue
