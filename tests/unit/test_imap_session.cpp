// The IMAP client from scripted dialogues that go right or are refused as they should: the wait
// dialogue, the greeting, STARTTLS and LOGIN. The test plays the server, and checks every byte the
// client writes and every action it asks for. No sockets, no clocks.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/unit/imap_dialogue.hpp"

using namespace imap_dialogue;

// ---- The wait dialogue ------------------------------------------------------------------------

TEST_CASE("wait: STARTTLS, LOGIN, SELECT, empty search, sleep, NOOP, hit, fetch, logout",
          "[imap]") {
  const Run run = play(config(), happy_wait_script());
  expect_success(run);
  const Outcome& out = run.client->outcome();
  CHECK(out.tls);
  CHECK(out.found_uids == std::vector<std::uint32_t>{7});
  CHECK(out.headers == probe_header());
  CHECK(out.searches == 2);
  CHECK(out.uidvalidity == 1700000000);
  CHECK(out.capabilities == std::vector<std::string>{"IMAP4REV1", "UIDPLUS"});
  CHECK(write_phases(run) == std::vector<std::string>{"capability", "starttls", "capability",
                                                      "login", "select", "search", "search",
                                                      "search", "fetch", "logout"});
  CHECK(run.actions.front().kind == Kind::read);
  CHECK(run.actions.front().phase == "greeting");
  CHECK(transcript_has(*run.client, TranscriptLine::Dir::client, "a4 LOGIN <redacted> <redacted>"));
  CHECK(
      transcript_has(*run.client, TranscriptLine::Dir::server, "* 3 FETCH (UID 7 BODY[HEADER] {"));
}

TEST_CASE("wait: every server byte may arrive on its own", "[imap]") {
  const Run run = play(config(), happy_wait_script(), Feed::byte_by_byte);
  expect_success(run);
  CHECK(run.client->outcome().found_uids == std::vector<std::uint32_t>{7});
  CHECK(run.client->outcome().headers == probe_header());
}

// (An EXISTS is news, not noise: it makes the wait search at once; see test_imap_tasks.cpp.)
TEST_CASE("wait: untagged responses interleaved anywhere are tolerated", "[imap]") {
  const std::string noise =
      "* 1 RECENT\r\n* OK [ALERT] System maintenance at 03:00\r\n"
      "* FLAGS (\\Answered \\Seen \\Deleted)\r\n* 2 FETCH (FLAGS (\\Seen))\r\n"
      "* NO [ALERT] Mailbox is at 95% of quota\r\n* 3 EXPUNGE\r\n";
  Script script = happy_wait_script();
  bool greeting = true;
  for (Turn& turn : script) {
    if (turn.who != Turn::Who::server) continue;
    if (!greeting) turn.bytes = noise + turn.bytes;
    greeting = false;
  }
  for (Feed feed : {Feed::whole, Feed::byte_by_byte}) {
    const Run run = play(config(), script, feed);
    expect_success(run);
    CHECK(run.client->outcome().found_uids == std::vector<std::uint32_t>{7});
  }
}

TEST_CASE("wait: SEARCH data split over responses accumulates; UID sets are compressed", "[imap]") {
  const Script script =
      greeting_and_capability("IMAP4rev1") + login(2) + select(3) +
      Script{C(search_line(4)), S("* SEARCH 11 7\r\n* 1 RECENT\r\n* SEARCH\r\n* SEARCH 8 9 7\r\n"
                                  "a4 OK Search completed.\r\n")} +
      fetch(5, "7:9,11",
            fetch_reply(1, 7, probe_header("X-Mailcanary-Token: other")) +
                fetch_reply(2, 9, probe_header()) + fetch_reply(3, 11, probe_header())) +
      logout(6);
  const Run run = play(implicit(), script);
  expect_success(run);
  CHECK(run.client->outcome().found_uids == std::vector<std::uint32_t>{9, 11});
}

TEST_CASE("wait: a header that does not really carry the token is not found", "[imap]") {
  const std::string fakes =
      fetch_reply(1, 7, probe_header("Subject: X-Mailcanary-Token: " + kToken)) +
      fetch_reply(2, 8, probe_header("X-Mailcanary-Token: " + kToken + "0")) +
      fetch_reply(3, 9, probe_header("X-Mailcanary-Token-Old: " + kToken)) +
      fetch_reply(4, 10, "Subject: x\r\n\r\nX-Mailcanary-Token: " + kToken + "\r\n");
  // Folded onto a continuation line, with odd case in the field name: really carries it.
  const std::string folded = probe_header("x-mailcanary-TOKEN:\r\n\t " + kToken + " ");
  const Script script = greeting_and_capability("IMAP4rev1") + login(2) + select(3) +
                        search(4, " 7 8 9 10") + fetch(5, "7:10", fakes) + Script{Wait()} +
                        noop(6) + search(7, " 7 8 9 10 11") +
                        fetch(8, "7:11", fakes + fetch_reply(5, 11, folded)) + logout(9);
  const Run run = play(implicit(), script);
  expect_success(run);
  CHECK(run.client->outcome().found_uids == std::vector<std::uint32_t>{11});
  CHECK(run.client->outcome().headers == folded);
  CHECK(run.client->outcome().searches == 2);
}

TEST_CASE("wait: FETCH answers as quoted string, NIL, or for unrequested UIDs count for nothing",
          "[imap]") {
  const Script script =
      greeting_and_capability("IMAP4rev1") + login(2) + select(3) + search(4, " 7 8") +
      fetch(5, "7:8",
            "* 1 FETCH (UID 8 BODY[HEADER] NIL)\r\n" + fetch_reply(3, 99, probe_header()) +
                "* 2 FETCH (FLAGS (\\Seen) UID 7 BODY[HEADER] \"X-Mailcanary-Token: " + kToken +
                "\")\r\n") +
      logout(6);
  const Run run = play(implicit(), script);
  expect_success(run);
  CHECK(run.client->outcome().found_uids == std::vector<std::uint32_t>{7});
}

TEST_CASE("wait: a malformed FETCH or SEARCH response is a protocol failure", "[imap]") {
  SECTION("FETCH") {
    const Script script = greeting_and_capability("IMAP4rev1") + login(2) + select(3) +
                          search(4, " 7") +
                          Script{C("a5 UID FETCH 7 (UID BODY.PEEK[HEADER])\r\n"),
                                 S("* 1 FETCH (UID 7 BODY[HEADER] {3}\r\nabc\r\n")};
    expect_failure(play(implicit(), script), Reason::protocol, "fetch");
  }
  SECTION("SEARCH") {
    const Script script = greeting_and_capability("IMAP4rev1") + login(2) + select(3) +
                          Script{C(search_line(4)), S("* SEARCH 7 x\r\n")};
    expect_failure(play(implicit(), script), Reason::protocol, "search");
  }
}

TEST_CASE("wait: implicit TLS goes straight to LOGIN", "[imap]") {
  const Script script = greeting_and_capability("IMAP4rev1 STARTTLS") + login(2) + select(3) +
                        search(4, " 7") + fetch(5, "7", fetch_reply(1, 7, probe_header())) +
                        logout(6);
  const Run run = play(implicit(), script);
  expect_success(run);
  CHECK(run.client->outcome().tls);
  CHECK(run.client->outcome().found_uids == std::vector<std::uint32_t>{7});
}

TEST_CASE("an empty token is refused before anything is sent", "[imap]") {
  Config cfg = implicit();
  cfg.token.clear();
  const Run run = play(cfg, {});
  expect_failure(run, Reason::internal, "greeting");
}

// ---- Greeting and STARTTLS -------------------------------------------------------------------

TEST_CASE("PREAUTH skips LOGIN", "[imap]") {
  const Script script =
      Script{S("* PREAUTH [CAPABILITY IMAP4rev1] Logged in as probe\r\n"), C("a1 CAPABILITY\r\n"),
             S("* CAPABILITY IMAP4rev1\r\na1 OK done\r\n")} +
      select(2) + search(3, " 7") + fetch(4, "7", fetch_reply(1, 7, probe_header())) + logout(5);
  SECTION("over implicit TLS") {
    expect_success(play(implicit(), script));
  }
  SECTION("in plaintext with STARTTLS optional") {
    Config cfg = config();
    cfg.starttls = StartTls::optional;
    const Run run = play(cfg, script);
    expect_success(run);
    CHECK_FALSE(run.client->outcome().tls);
  }
}

TEST_CASE("PREAUTH on plaintext with STARTTLS required fails: it can never be secured", "[imap]") {
  const Run run = play(config(), {S("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n")});
  expect_failure(run, Reason::starttls_unavailable, "starttls");
  CHECK(run.writes.empty());
}

TEST_CASE("a BYE greeting is rejected with the server's words", "[imap]") {
  const Run run = play(implicit(), {S("* BYE [UNAVAILABLE] Too many connections\r\n")});
  expect_failure(run, Reason::rejected, "greeting");
  REQUIRE(run.last.failure->reply);
  CHECK(run.last.failure->reply->status == "BYE");
  CHECK(run.last.failure->reply->enhanced == "UNAVAILABLE");
  CHECK(run.last.failure->reply->text == "Too many connections");
}

TEST_CASE("a greeting that is not OK, PREAUTH or BYE is a protocol failure", "[imap]") {
  expect_failure(play(implicit(), {S("a1 OK hello\r\n")}), Reason::protocol, "greeting");
  expect_failure(play(implicit(), {S("* NO go away\r\n")}), Reason::protocol, "greeting");
}

TEST_CASE("STARTTLS required but not offered", "[imap]") {
  const Run run = play(config(), greeting_and_capability("IMAP4rev1"));
  expect_failure(run, Reason::starttls_unavailable, "starttls");
}

TEST_CASE("STARTTLS optional and not offered: no LOGIN in clear unless the file allows it",
          "[imap]") {
  Config cfg = config();
  cfg.starttls = StartTls::optional;
  SECTION("not allowed: the session ends before LOGIN") {
    const Run run = play(cfg, greeting_and_capability("IMAP4rev1"));
    expect_failure(run, Reason::starttls_unavailable, "starttls");
    CHECK(run.last.failure->message.find("allow_plaintext_auth") != std::string::npos);
    CHECK(run.writes == std::vector<std::string>{"a1 CAPABILITY\r\n"});
    CHECK_FALSE(run.client->outcome().plaintext_auth);
  }
  SECTION("allow_plaintext_auth: continues in plaintext and says so") {
    cfg.allow_plaintext_auth = true;
    const Run run =
        play(cfg, greeting_and_capability("IMAP4rev1") + login(2) + select(3) + search(4, " 7") +
                      fetch(5, "7", fetch_reply(1, 7, probe_header())) + logout(6));
    expect_success(run);
    CHECK_FALSE(run.client->outcome().tls);
    CHECK(run.client->outcome().plaintext_auth);
    CHECK(transcript_has(*run.client, TranscriptLine::Dir::note, "STARTTLS not offered"));
    CHECK(transcript_has(*run.client, TranscriptLine::Dir::note, "without TLS"));
  }
}

TEST_CASE("STARTTLS off with an account: no LOGIN unless the file allows it", "[imap]") {
  Config cfg = config();
  cfg.starttls = StartTls::off;
  const Run run = play(cfg, greeting_and_capability("IMAP4rev1 STARTTLS"));
  expect_failure(run, Reason::starttls_unavailable, "starttls");
  CHECK_FALSE(wrote(run, "LOGIN"));
}

TEST_CASE("STARTTLS off never sends STARTTLS, even when offered", "[imap]") {
  Config cfg = config();
  cfg.starttls = StartTls::off;
  cfg.allow_plaintext_auth = true;
  const Run run =
      play(cfg, greeting_and_capability("IMAP4rev1 STARTTLS") + login(2) + select(3) +
                    search(4, " 7") + fetch(5, "7", fetch_reply(1, 7, probe_header())) + logout(6));
  expect_success(run);
  CHECK_FALSE(wrote(run, "STARTTLS"));
}

TEST_CASE("STARTTLS refused with NO or BAD", "[imap]") {
  for (const std::string status : {"NO", "BAD"}) {
    const Run run =
        play(config(), greeting_and_capability("IMAP4rev1 STARTTLS") +
                           Script{C("a2 STARTTLS\r\n"), S("a2 " + status + " nope\r\n")});
    expect_failure(run, Reason::starttls_unavailable, "starttls");
    REQUIRE(run.last.failure->reply);
    CHECK(run.last.failure->reply->status == status);
  }
}

TEST_CASE("STARTTLS injection: plaintext after the OK is never carried into TLS", "[imap]") {
  SECTION("bytes behind the tagged OK") {
    const Run run = play(config(), greeting_and_capability("IMAP4rev1 STARTTLS") +
                                       Script{C("a2 STARTTLS\r\n"),
                                              S("a2 OK Begin TLS\r\n* OK [CAPABILITY IMAP4rev1 "
                                                "AUTH=PLAIN] injected\r\n")});
    expect_failure(run, Reason::protocol, "starttls");
    for (const Action& a : run.actions) CHECK(a.kind != Kind::start_tls);
  }
  SECTION("a partial line behind the tagged OK") {
    const Run run = play(config(), greeting_and_capability("IMAP4rev1 STARTTLS") +
                                       Script{C("a2 STARTTLS\r\n"), S("a2 OK Begin TLS\r\na3 O")});
    expect_failure(run, Reason::protocol, "starttls");
  }
  SECTION("the STARTTLS answer sent before the command") {
    const Run run = play(config(), {S("* OK ready\r\n"), C("a1 CAPABILITY\r\n"),
                                    S("* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK\r\na2 OK go\r\n")});
    expect_failure(run, Reason::protocol, "capability");
    CHECK_FALSE(wrote(run, "STARTTLS"));
  }
}

TEST_CASE("after TLS the plaintext capabilities are forgotten", "[imap]") {
  const Run run = play(config(), Script{S("* OK ready\r\n"), C("a1 CAPABILITY\r\n"),
                                        S("* CAPABILITY IMAP4rev1 STARTTLS LITERAL+ X-EVIL\r\n"
                                          "a1 OK\r\n"),
                                        C("a2 STARTTLS\r\n"), S("a2 OK go\r\n"), Tls()});
  REQUIRE(run.last.kind == Kind::write);
  CHECK(run.last.phase == "capability");
  CHECK(run.last.data == "a3 CAPABILITY\r\n");
  CHECK(run.client->outcome().capabilities.empty());
  CHECK(run.client->outcome().tls);
}

// ---- Authentication --------------------------------------------------------------------------

TEST_CASE("LOGINDISABLED: AUTHENTICATE PLAIN with a SASL-IR initial response", "[imap]") {
  const std::string blob = base64_encode(std::string(1, '\0') + kUser + '\0' + kSentinel);
  const Run run =
      play(implicit(),
           greeting_and_capability("IMAP4rev1 LOGINDISABLED AUTH=PLAIN SASL-IR") +
               Script{C("a2 AUTHENTICATE PLAIN " + blob + "\r\n"), S("a2 OK Logged in\r\n")} +
               select(3));
  REQUIRE(run.last.kind == Kind::write);
  CHECK(run.last.phase == "search");
  CHECK(
      transcript_has(*run.client, TranscriptLine::Dir::client, "a2 AUTHENTICATE PLAIN <redacted>"));
}

TEST_CASE("LOGINDISABLED: AUTHENTICATE PLAIN waits for + without SASL-IR", "[imap]") {
  const std::string blob = base64_encode(std::string(1, '\0') + kUser + '\0' + kSentinel);
  const Run run = play(implicit(), greeting_and_capability("IMAP4rev1 LOGINDISABLED AUTH=PLAIN") +
                                       Script{C("a2 AUTHENTICATE PLAIN\r\n"), S("+ \r\n"),
                                              C(blob + "\r\n"), S("a2 OK Logged in\r\n")} +
                                       select(3));
  REQUIRE(run.last.kind == Kind::write);
  CHECK(run.actions[4].phase == "login");
  CHECK(transcript_has(*run.client, TranscriptLine::Dir::client, "<redacted>"));
}

TEST_CASE("LOGINDISABLED without AUTH=PLAIN cannot log in", "[imap]") {
  const Run run = play(implicit(), greeting_and_capability("IMAP4rev1 LOGINDISABLED"));
  expect_failure(run, Reason::auth_failed, "login");
  CHECK(run.writes.size() == 1);
}

TEST_CASE("AUTHENTICATE PLAIN refused is auth_failed", "[imap]") {
  const std::string blob = base64_encode(std::string(1, '\0') + kUser + '\0' + kSentinel);
  const Run run =
      play(implicit(), greeting_and_capability("IMAP4rev1 LOGINDISABLED AUTH=PLAIN") +
                           Script{C("a2 AUTHENTICATE PLAIN\r\n"), S("+\r\n"), C(blob + "\r\n"),
                                  S("a2 NO [AUTHENTICATIONFAILED] Nope.\r\n")});
  expect_failure(run, Reason::auth_failed, "login");
}

TEST_CASE("LOGIN quotes a password with \" and \\", "[imap]") {
  Config cfg = implicit();
  cfg.secret = kSentinel + "\"q\\b";
  const Run run =
      play(cfg, greeting_and_capability("IMAP4rev1") +
                    Script{C("a2 LOGIN \"" + kUser + "\" \"" + kSentinel + "\\\"q\\\\b\"\r\n"),
                           S("a2 OK Logged in\r\n")} +
                    select(3));
  REQUIRE(run.last.kind == Kind::write);
  CHECK(transcript_has(*run.client, TranscriptLine::Dir::client, "a2 LOGIN <redacted> <redacted>"));
}

TEST_CASE("LOGIN sends an 8-bit password as a literal", "[imap]") {
  Config cfg = implicit();
  cfg.secret = kSentinel + "\xc3\xa9";  // 16 bytes
  const std::string user = "\"" + kUser + "\"";
  SECTION("synchronizing: waits for +") {
    const Run run =
        play(cfg, greeting_and_capability("IMAP4rev1") +
                      Script{C("a2 LOGIN " + user + " {16}\r\n"), S("+ Ready for literal data\r\n"),
                             C(cfg.secret + "\r\n"), S("a2 OK Logged in\r\n")} +
                      select(3));
    REQUIRE(run.last.kind == Kind::write);
    CHECK(run.actions[4].kind == Kind::read);
    CHECK(run.actions[4].phase == "login");
    CHECK(
        transcript_has(*run.client, TranscriptLine::Dir::client, "a2 LOGIN <redacted> <redacted>"));
  }
  SECTION("LITERAL+: no wait") {
    const Run run = play(cfg, greeting_and_capability("IMAP4rev1 LITERAL+") +
                                  Script{C("a2 LOGIN " + user + " {16+}\r\n" + cfg.secret + "\r\n"),
                                         S("a2 OK Logged in\r\n")} +
                                  select(3));
    REQUIRE(run.last.kind == Kind::write);
    CHECK(
        transcript_has(*run.client, TranscriptLine::Dir::client, "a2 LOGIN <redacted> <redacted>"));
  }
  SECTION("LITERAL-: no wait up to 4096 bytes") {
    const Run run = play(cfg, greeting_and_capability("IMAP4rev1 LITERAL-") +
                                  Script{C("a2 LOGIN " + user + " {16+}\r\n" + cfg.secret + "\r\n"),
                                         S("a2 OK Logged in\r\n")});
    REQUIRE(run.last.kind == Kind::write);
  }
  SECTION("LITERAL-: a longer literal still waits") {
    cfg.secret = kSentinel + std::string(5000, '\xe9');
    const Run run = play(cfg, greeting_and_capability("IMAP4rev1 LITERAL-") +
                                  Script{C("a2 LOGIN " + user + " {5014}\r\n"), S("+ go\r\n"),
                                         C(cfg.secret + "\r\n"), S("a2 OK Logged in\r\n")});
    REQUIRE(run.last.kind == Kind::write);
  }
  SECTION("refused literal: NO instead of +") {
    const Run run = play(cfg, greeting_and_capability("IMAP4rev1") +
                                  Script{C("a2 LOGIN " + user + " {16}\r\n"),
                                         S("a2 NO [AUTHENTICATIONFAILED] no 8-bit\r\n")});
    expect_failure(run, Reason::auth_failed, "login");
  }
}

TEST_CASE("LOGIN with both user and password as synchronizing literals", "[imap]") {
  Config cfg = implicit();
  cfg.user =
      "pr\xc3\xb8"
      "be";                       // 6 bytes
  cfg.secret = kSentinel + "\n";  // 15 bytes
  const Run run =
      play(cfg, greeting_and_capability("IMAP4rev1") +
                    Script{C("a2 LOGIN {6}\r\n"), S("+\r\n"), C(cfg.user + " {15}\r\n"), S("+\r\n"),
                           C(cfg.secret + "\r\n"), S("a2 OK Logged in\r\n")} +
                    select(3));
  REQUIRE(run.last.kind == Kind::write);
  std::vector<std::string> shown;
  for (const TranscriptLine& line : run.client->transcript().lines()) {
    if (line.dir == TranscriptLine::Dir::client) shown.push_back(line.text);
  }
  REQUIRE(shown.size() >= 4);
  CHECK(shown[1] == "a2 LOGIN <redacted>");
  CHECK(shown[2] == "<redacted> <redacted>");
  CHECK(shown[3] == "<redacted>");
}

TEST_CASE("wrong password: auth_failed with AUTHENTICATIONFAILED", "[imap]") {
  const Run run =
      play(implicit(), greeting_and_capability("IMAP4rev1") +
                           Script{C(login_line(2)), S("a2 NO [AUTHENTICATIONFAILED] Authentication "
                                                      "failed.\r\n")});
  expect_failure(run, Reason::auth_failed, "login");
  REQUIRE(run.last.failure->reply);
  CHECK(run.last.failure->reply->status == "NO");
  CHECK(run.last.failure->reply->enhanced == "AUTHENTICATIONFAILED");
  CHECK(run.last.failure->reply->text == "Authentication failed.");
  CHECK(run.last.failure->reply->code == 0);
}

TEST_CASE("a server that echoes the password still cannot leak it", "[imap]") {
  const Run run =
      play(implicit(), greeting_and_capability("IMAP4rev1") +
                           Script{C(login_line(2)), S("a2 BAD Error in IMAP command LOGIN: \"" +
                                                      kUser + "\" \"" + kSentinel + "\"\r\n")});
  expect_failure(run, Reason::protocol, "login");  // expect_no_secret ran inside play()
}

// ---- SELECT and the transcript ---------------------------------------------------------------

TEST_CASE("SELECT quotes the mailbox name", "[imap]") {
  Config cfg = implicit();
  cfg.mailbox = "Probe \"q\"";
  const Run run = play(cfg, greeting_and_capability("IMAP4rev1") + login(2) +
                                Script{C("a3 SELECT \"Probe \\\"q\\\"\"\r\n"),
                                       S("a3 NO [NONEXISTENT] Mailbox doesn't exist\r\n")});
  expect_failure(run, Reason::rejected, "select");
  CHECK(run.last.failure->reply->enhanced == "NONEXISTENT");
}

TEST_CASE("the transcript keeps zero counts: * 0 RECENT", "[imap]") {
  const Run run = play(
      implicit(), greeting_and_capability("IMAP4rev1") + login(2) + select(3) + search(4, " 7") +
                      fetch(5, "7", fetch_reply(1, 7, probe_header())) + logout(6));
  expect_success(run);
  CHECK(transcript_has(*run.client, TranscriptLine::Dir::server, "* 0 RECENT"));
  CHECK(transcript_has(*run.client, TranscriptLine::Dir::server, "* 3 EXISTS"));
}
