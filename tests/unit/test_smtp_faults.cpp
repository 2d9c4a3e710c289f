// The SMTP client from scripted dialogues, with every reply the server can give injected at every
// point of the dialogue: refusals, disconnects, malformed replies and overlong lines, problems in
// QUIT, and configuration that could inject commands.
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/smtp_dialogue.hpp"

using namespace smtp_dialogue;

// ---------------------------------------------------------------- every point of the dialogue

TEST_CASE("a 4xx or 5xx at every point ends the session with the reply kept", "[smtp]") {
  struct Injected {
    std::string wire;
    ServerReply reply;
  };
  const std::vector<Injected> replies = {
      {"421 4.3.2 Service shutting down\r\n", {421, "4.3.2", "Service shutting down", ""}},
      {"451-4.3.0 Temporary\r\n451 4.3.0 failure\r\n", {451, "4.3.0", "Temporary\nfailure", ""}},
      {"550 5.7.1 Not allowed\r\n", {550, "5.7.1", "Not allowed", ""}},
      {"535 5.7.8 Authentication credentials invalid\r\n",
       {535, "5.7.8", "Authentication credentials invalid", ""}},
      {"554 Go away\r\n", {554, "", "Go away", ""}},
  };
  for (const Flow& flow : all_flows()) {
    for (std::size_t k = 0; k < flow.script.size(); ++k) {
      const Turn& turn = flow.script[k];
      if (turn.server.empty()) continue;
      for (const Injected& bad : replies) {
        INFO(flow.name << ", turn " << k << " (" << turn.phase << ") answered " << bad.wire);
        Dialogue d(flow.cfg);
        play_until(d, flow.script, k);
        d.server_sends(turn.phase, bad.wire);
        if (turn.phase == "quit") {
          d.require_success();  // the message was accepted before
          CHECK(d.note_contains("after the message was accepted"));
          continue;
        }
        Reason expected = Reason::rejected;
        if (turn.phase == "auth" && bad.reply.code >= 500) expected = Reason::auth_failed;
        if (turn.phase == "starttls") expected = Reason::starttls_unavailable;
        const Failure& f = d.require_failure(expected, turn.phase);
        REQUIRE(f.reply);
        CHECK(f.reply->code == bad.reply.code);
        CHECK(f.reply->enhanced == bad.reply.enhanced);
        CHECK(f.reply->text == bad.reply.text);
        CHECK_FALSE(f.message.empty());
        CHECK_FALSE(d.client().outcome().final_reply.has_value());
      }
    }
  }
}

TEST_CASE("a disconnect at every point before acceptance is `disconnected`, after is fine",
          "[smtp]") {
  for (const Flow& flow : all_flows()) {
    for (std::size_t k = 0; k < flow.script.size(); ++k) {
      const Turn& turn = flow.script[k];
      if (turn.server.empty()) continue;
      // Closed with nothing of the reply sent, and in the middle of a reply line.
      for (std::size_t sent : {std::size_t{0}, turn.server.size() / 2}) {
        INFO(flow.name << ", turn " << k << " (" << turn.phase << "), " << sent << " bytes sent");
        Dialogue d(flow.cfg);
        play_until(d, flow.script, k);
        d.server_sends(turn.phase, std::string_view(turn.server).substr(0, sent));
        d.server_closes(turn.phase);
        if (turn.phase == "quit") {
          d.require_success();
          CHECK(d.client().outcome().queue_id == "72DC6A72182");
          CHECK(d.note_contains("closed the connection"));
        } else {
          const Failure& f = d.require_failure(Reason::disconnected, turn.phase);
          CHECK(f.message.find("closed the connection") != std::string::npos);
          CHECK_FALSE(f.reply.has_value());
        }
      }
    }
  }
}

TEST_CASE("malformed and unexpected replies are `protocol`", "[smtp]") {
  struct Case {
    std::size_t turn;
    std::string phase;
    std::string wire;
  };
  // Turn numbers of submission_script().
  const std::vector<Case> cases = {
      {0, "banner", "2502 ok\r\n"},
      {0, "banner", "hello\r\n"},
      {0, "banner", "220 hi\n"},  // bare LF
      {0, "banner", "250 not a greeting\r\n"},
      {1, "ehlo", "25O ok\r\n"},
      {1, "ehlo", "250-mail.example.test\r\n251 STARTTLS\r\n"},  // mixed codes
      {1, "ehlo", "250-mail.example.test\n250 STARTTLS\r\n"},    // bare LF inside
      {1, "ehlo", "354 what\r\n"},
      {2, "starttls", "250 ok\r\n"},
      {5, "auth", "334 \r\n"},  // a challenge after the initial response
      {6, "mail_from", "250x\r\n"},
      {7, "rcpt_to", "\r\n"},
      {8, "data", "250 2.0.0 Ok\r\n"},  // 250 to DATA instead of 354
      {9, "message", "354 again\r\n"},
  };
  const Script script = submission_script();
  for (const Case& c : cases) {
    INFO(c.phase << " answered " << c.wire);
    Dialogue d(submission());
    play_until(d, script, c.turn);
    d.server_sends(c.phase, c.wire);
    const Failure& f = d.require_failure(Reason::protocol, c.phase);
    CHECK_FALSE(f.message.empty());
  }
}

TEST_CASE("unexpected success codes keep the reply", "[smtp]") {
  Script script = submission_script();
  Dialogue d(submission());
  play_until(d, script, 8);
  d.server_sends("data", "250 2.0.0 Ok\r\n");
  const Failure& f = d.require_failure(Reason::protocol, "data");
  CHECK(f.message == "unexpected reply 250 to DATA");
  REQUIRE(f.reply);
  CHECK(f.reply->code == 250);
}

TEST_CASE("line problems are named with the limit", "[smtp]") {
  SECTION("a line longer than the limit, still unterminated") {
    Dialogue d(submission());
    d.server_sends("banner", "220-" + std::string(kMaxLineBytes, 'x'));
    const Failure& f = d.require_failure(Reason::protocol, "banner");
    CHECK(f.message.find(std::to_string(kMaxLineBytes)) != std::string::npos);
  }
  SECTION("a terminated line one byte over the limit") {
    Dialogue d(submission());
    play_until(d, submission_script(), 1);
    d.server_sends("ehlo", "250 " + std::string(kMaxLineBytes - 3, 'x') + "\r\n");
    const Failure& f = d.require_failure(Reason::protocol, "ehlo");
    CHECK(f.message.find(std::to_string(kMaxLineBytes)) != std::string::npos);
  }
  SECTION("a line exactly at the limit is fine") {
    Dialogue d(submission());
    d.server_sends("banner", "220 " + std::string(kMaxLineBytes - 4, 'x') + "\r\n");
    d.client_writes("ehlo", kEhlo);
  }
  SECTION("a bare LF") {
    Dialogue d(submission());
    d.server_sends("banner", "220 hi\n");
    const Failure& f = d.require_failure(Reason::protocol, "banner");
    CHECK(f.message.find("bare LF") != std::string::npos);
  }
  SECTION("a reply of more than 256 lines") {
    Dialogue d(submission());
    std::string flood;
    for (std::size_t i = 0; i < kMaxReplyLines; ++i) flood += "220-more\r\n";
    d.server_sends("banner", flood + "220 end\r\n");
    const Failure& f = d.require_failure(Reason::protocol, "banner");
    CHECK(f.message.find("256") != std::string::npos);
  }
}

// ---------------------------------------------------------------- QUIT and the end

TEST_CASE("problems in QUIT do not fail an accepted message", "[smtp]") {
  for (const char* bye : {"421 4.4.2 timeout\r\n", "550 no\r\n", "garbage\r\n", "221 bye\n",
                          "250 ok\r\n", "221-a\r\n222 b\r\n"}) {
    INFO(bye);
    Script script = submission_script();
    script.back().server = bye;
    Dialogue d(submission());
    d.play(script);
    d.require_success();
    CHECK(d.client().outcome().queue_id == "72DC6A72182");
    CHECK(d.note_contains("after the message was accepted"));
  }
}

TEST_CASE("a reply that arrives early is answered after the next write", "[smtp]") {
  Script script = mx_script();
  Dialogue d(mx_delivery());
  d.play(script, 2);
  d.client_writes("mail_from", "MAIL FROM:<probe@example.test>\r\n");
  d.server_sends("mail_from", "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
  d.client_writes("rcpt_to", "RCPT TO:<probe@example.test>\r\n");
  // The 250 for RCPT was buffered: the client goes on without another read.
  d.client_writes("data", "DATA\r\n");
}

TEST_CASE("after the end every call repeats the final action", "[smtp]") {
  Dialogue d(submission());
  d.server_sends("banner", "554 5.7.1 no\r\n");
  d.require_failure(Reason::rejected, "banner");
  const Action again = d.client().on_input("220 hello\r\n");
  CHECK(again.kind == Kind::done);
  REQUIRE(again.failure);
  CHECK(again.failure->reason == Reason::rejected);
  CHECK(d.client().on_written().failure.has_value());
  CHECK(d.client().on_tls().failure.has_value());
}

TEST_CASE("on_tls outside STARTTLS is an internal error", "[smtp]") {
  Client c(submission());
  c.start();
  const Action a = c.on_tls();
  REQUIRE(a.failure);
  CHECK(a.failure->reason == Reason::internal);
}

TEST_CASE("configuration that could inject commands is refused", "[smtp]") {
  SECTION("a line break in the EHLO name") {
    Config cfg = mx_delivery();
    cfg.ehlo_name = "probe\r\nRSET";
    Dialogue d(cfg);
    d.server_sends("banner", kBanner);
    d.require_failure(Reason::internal, "ehlo");
  }
  SECTION("a line break in MAIL FROM") {
    Config cfg = mx_delivery();
    cfg.mail_from = "a@b>\r\nRCPT TO:<evil@x";
    Dialogue d(cfg);
    d.play(mx_script(), 2);
    d.require_failure(Reason::internal, "mail_from");
  }
  SECTION("a line break in a recipient") {
    Config cfg = mx_delivery();
    cfg.rcpt_to = {"a@b>\nDATA"};
    Dialogue d(cfg);
    d.play(mx_script(), 3);
    d.require_failure(Reason::internal, "rcpt_to");
  }
  SECTION("no recipient at all") {
    Config cfg = mx_delivery();
    cfg.rcpt_to.clear();
    Dialogue d(cfg);
    d.play(mx_script(), 3);
    d.require_failure(Reason::internal, "rcpt_to");
  }
}
