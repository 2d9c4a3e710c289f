// The SMTP client as a policy probe, from scripted dialogues: a transaction held before DATA is
// reset and ended without a DATA ever written; a hold at DATA drops the connection after 354
// with no byte of the message; a refusal at every point of every session ends it with QUIT,
// and the refusal stands whatever the server does with that QUIT.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/unit/smtp_dialogue.hpp"

using namespace smtp_dialogue;

namespace {

Config held(Config c, Config::Hold hold = Config::Hold::before_data) {
  c.hold = hold;
  c.quit_after_refusal = true;
  return c;
}

bool wrote_data(const Dialogue& d) {
  for (const std::string& line : d.client_lines())
    if (line == "DATA" || line.find("Subject:") != std::string::npos) return true;
  return false;
}

// The script of `flow` without DATA, message and QUIT: up to the last RCPT.
Script up_to_rcpt(const Script& s) {
  Script out;
  for (const Turn& t : s) {
    if (t.phase == "data") break;
    out.push_back(t);
  }
  return out;
}

}  // namespace

TEST_CASE("policy hold: an accepted RCPT is followed by RSET and QUIT, never DATA",
          "[smtp][policy]") {
  for (const Flow& flow : all_flows()) {
    INFO(flow.name);
    Dialogue d(held(flow.cfg));
    d.play(up_to_rcpt(flow.script));
    d.play({"rset", "RSET\r\n", "250 2.0.0 Ok\r\n"});
    d.play({"quit", "QUIT\r\n", "221 2.0.0 Bye\r\n"});
    d.require_success();
    const Outcome& o = d.client().outcome();
    CHECK(o.held_at == "rcpt_to");
    CHECK_FALSE(o.queue_id.has_value());
    REQUIRE_FALSE(o.accepted.empty());
    CHECK(o.accepted.back().first == "quit");
    const auto rcpt = std::find_if(o.accepted.begin(), o.accepted.end(),
                                   [](const auto& a) { return a.first == "rcpt_to"; });
    REQUIRE(rcpt != o.accepted.end());
    CHECK(rcpt->second.code == 250);
    CHECK_FALSE(wrote_data(d));
  }
}

TEST_CASE("policy hold: RSET after the last of several recipients; a refused RSET still QUITs",
          "[smtp][policy]") {
  Config c = held(mx_delivery());
  c.rcpt_to = {"a@foreign.test", "b@foreign.test"};
  Dialogue d(c);
  d.play({{"banner", "", kBanner},
          {"ehlo", kEhlo, "250-mx.example.test\r\n250 8BITMIME\r\n"},
          {"mail_from", "MAIL FROM:<probe@example.test>\r\n", "250 2.1.0 Ok\r\n"},
          {"rcpt_to", "RCPT TO:<a@foreign.test>\r\n", "250 2.1.5 Ok\r\n"},
          {"rcpt_to", "RCPT TO:<b@foreign.test>\r\n", "250 2.1.5 Ok\r\n"},
          {"rset", "RSET\r\n", "502 5.5.1 Error: command not implemented\r\n"},
          {"quit", "QUIT\r\n", ""}});
  d.server_closes("quit");
  d.require_success();
  CHECK(d.client().outcome().held_at == "rcpt_to");
  CHECK_FALSE(wrote_data(d));
}

TEST_CASE("policy hold at DATA: after 354 the connection is dropped, no byte of the message",
          "[smtp][policy]") {
  Dialogue d(held(mx_delivery(), Config::Hold::before_message));
  Script s = up_to_rcpt(mx_script());
  s.push_back({"data", "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n"});
  d.play(s);
  d.require_success();
  CHECK(d.client().outcome().held_at == "data");
  CHECK(d.note_contains("message unsent"));
  for (const std::string& line : d.client_lines()) CHECK(line.find("Subject") == std::string::npos);
}

TEST_CASE("policy hold at DATA: a refused DATA is a refusal in phase data", "[smtp][policy]") {
  Dialogue d(held(mx_delivery(), Config::Hold::before_message));
  Script s = up_to_rcpt(mx_script());
  s.push_back({"data", "DATA\r\n", "554 5.5.1 Error: no valid recipients\r\n"});
  s.push_back({"quit", "QUIT\r\n", "221 2.0.0 Bye\r\n"});
  d.play(s);
  REQUIRE(d.action().failure);
  const Failure& f = *d.action().failure;
  CHECK(f.phase == "data");
  CHECK(to_string(f.reason) == "rejected");
  REQUIRE(f.reply);
  CHECK(f.reply->code == 554);
}

TEST_CASE("quit_after_refusal: a refusal at every point ends with QUIT and the refusal stands",
          "[smtp][policy]") {
  for (const Flow& flow : all_flows()) {
    for (std::size_t k = 0; k < flow.script.size(); ++k) {
      const Turn& turn = flow.script[k];
      if (turn.server.empty() || turn.phase == "quit") continue;
      // The server answers the QUIT, closes at once, or says something odd: the same refusal.
      for (int ending = 0; ending < 3; ++ending) {
        INFO(flow.name << ", turn " << k << " (" << turn.phase << "), ending " << ending);
        Config c = flow.cfg;
        c.quit_after_refusal = true;
        Dialogue d(c);
        play_until(d, flow.script, k);
        d.server_sends(turn.phase, "550 5.7.1 Not allowed\r\n");
        d.client_writes("quit", "QUIT\r\n");
        if (ending == 0) d.server_sends("quit", "221 2.0.0 Bye\r\n");
        if (ending == 1) d.server_closes("quit");
        if (ending == 2) d.server_sends("quit", "500 what\r\n");
        Reason expected = Reason::rejected;
        if (turn.phase == "auth") expected = Reason::auth_failed;
        if (turn.phase == "starttls") expected = Reason::starttls_unavailable;
        // The session ends in phase quit; the refusal keeps the phase it came in.
        REQUIRE(d.action().kind == Kind::done);
        CHECK(d.action().phase == "quit");
        REQUIRE(d.action().failure);
        const Failure& f = *d.action().failure;
        CHECK(to_string(f.reason) == to_string(expected));
        CHECK(f.phase == turn.phase);
        REQUIRE(f.reply);
        CHECK(f.reply->enhanced == "5.7.1");
        REQUIRE(d.client().outcome().refusal);
        CHECK(d.client().outcome().refusal->phase == turn.phase);
      }
    }
  }
}

TEST_CASE("quit_after_refusal: a 421 closes the connection itself, so no QUIT follows",
          "[smtp][policy]") {
  Config c = mx_delivery();
  c.quit_after_refusal = true;
  Dialogue d(c);
  d.play({{"banner", "", kBanner},
          {"ehlo", kEhlo, "250-mx.example.test\r\n250 8BITMIME\r\n"},
          {"mail_from", "MAIL FROM:<probe@example.test>\r\n", "250 2.1.0 Ok\r\n"},
          {"rcpt_to", "RCPT TO:<probe@example.test>\r\n",
           "421 4.7.0 mx.example.test Error: too many errors\r\n"}});
  d.require_failure(Reason::rejected, "rcpt_to");
  CHECK(d.client_lines().back() == "RCPT TO:<probe@example.test>");
}
