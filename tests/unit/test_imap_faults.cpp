// The IMAP client against hostile and broken servers, from scripted dialogues: oversize lines and
// literals, bare LF, secrets echoed back, a disconnect at every point of the dialogue and NO or
// BAD at every command. No secret reaches a record in any of them.
#include <catch2/catch.hpp>

#include <cctype>
#include <string>
#include <vector>

#include "tests/unit/imap_dialogue.hpp"

using namespace imap_dialogue;

// ---- Hostile and broken servers ------------------------------------------------------------

TEST_CASE("oversize line, oversize literal and bare LF are protocol failures", "[imap]") {
  const Script before_fetch = greeting_and_capability("IMAP4rev1") + login(2) + select(3) +
                              search(4, " 7") +
                              Script{C("a5 UID FETCH 7 (UID BODY.PEEK[HEADER])\r\n")};
  SECTION("line") {
    expect_failure(play(implicit(), before_fetch + Script{S(std::string(kMaxLineBytes + 2, 'x'))}),
                   Reason::protocol, "fetch");
  }
  SECTION("literal") {
    const Run run =
        play(implicit(), before_fetch + Script{S("* 1 FETCH (UID 7 BODY[HEADER] {" +
                                                 std::to_string(kMaxLiteralBytes + 1) + "}\r\n")});
    expect_failure(run, Reason::protocol, "fetch");
  }
  SECTION("bare LF") {
    expect_failure(play(implicit(), before_fetch + Script{S("* 1 RECENT\n")}), Reason::protocol,
                   "fetch");
  }
  SECTION("bare LF in the greeting") {
    expect_failure(play(implicit(), {S("* OK ready\n")}), Reason::protocol, "greeting");
  }
}

TEST_CASE("BYE in the middle of the session is a disconnect with the server's words", "[imap]") {
  const Run run = play(
      implicit(), greeting_and_capability("IMAP4rev1") + login(2) + select(3) +
                      Script{C(search_line(4)), S("* BYE [UNAVAILABLE] Server shutting down\r\n")});
  expect_failure(run, Reason::disconnected, "search");
  REQUIRE(run.last.failure->reply);
  CHECK(run.last.failure->reply->status == "BYE");
  CHECK(run.last.failure->reply->text == "Server shutting down");
}

TEST_CASE("a tagged response with the wrong tag is a protocol failure", "[imap]") {
  expect_failure(play(implicit(), {S("* OK ready\r\n"), C("a1 CAPABILITY\r\n"), S("a7 OK\r\n")}),
                 Reason::protocol, "capability");
}

TEST_CASE("an unexpected continuation request is a protocol failure", "[imap]") {
  expect_failure(play(implicit(), {S("* OK ready\r\n"), C("a1 CAPABILITY\r\n"), S("+ more?\r\n")}),
                 Reason::protocol, "capability");
}

TEST_CASE("disconnect at every point of the dialogue", "[imap]") {
  struct Case {
    const char* name;
    Config cfg;
    Script script;
  };
  const std::vector<Case> cases = {
      {"wait", config(), happy_wait_script()},
      {"remove uidplus", remove_config(), remove_uidplus_script(" 7", "7")},
      {"remove plain", remove_config(), remove_plain_expunged_script()},
  };
  for (const Case& c : cases) {
    for (std::size_t i = 0; i < c.script.size(); ++i) {
      if (c.script[i].who != Turn::Who::server) continue;
      INFO(c.name << ": disconnect instead of turn " << i << ": " << c.script[i].bytes);
      Run run = play(c.cfg, Script(c.script.begin(), c.script.begin() + i));
      const std::string phase = read_phase(run);
      step(run, run.client->on_input(""));
      expect_no_secret(*run.client, run.last, c.cfg);
      if (phase == "logout") {
        expect_success(run);  // the work was done before LOGOUT was sent
      } else {
        expect_failure(run, Reason::disconnected, phase);
      }
    }
  }
}

TEST_CASE("disconnect half-way through a FETCH literal", "[imap]") {
  const std::string reply = fetch_reply(1, 7, probe_header());
  const Script before = greeting_and_capability("IMAP4rev1") + login(2) + select(3) +
                        search(4, " 7") + Script{C("a5 UID FETCH 7 (UID BODY.PEEK[HEADER])\r\n")};
  for (std::size_t cut = 1; cut < reply.size(); cut += 7) {
    Run run = play(implicit(), before + Script{S(reply.substr(0, cut))});
    step(run, run.client->on_input(""));
    expect_failure(run, Reason::disconnected, "fetch");
  }
}

TEST_CASE("a BYE then a disconnect during LOGOUT is success", "[imap]") {
  Run run =
      play(implicit(), greeting_and_capability("IMAP4rev1") + login(2) + select(3) +
                           search(4, " 7") + fetch(5, "7", fetch_reply(1, 7, probe_header())) +
                           Script{C("a6 LOGOUT\r\n"), S("* BYE bye\r\n")});
  step(run, run.client->on_input(""));
  expect_success(run);
  CHECK(run.client->outcome().found_uids == std::vector<std::uint32_t>{7});
}

TEST_CASE("NO and BAD at every command", "[imap]") {
  struct Case {
    const char* name;
    Config cfg;
    Script script;
  };
  const std::vector<Case> cases = {
      {"wait", config(), happy_wait_script()},
      {"remove uidplus", remove_config(), remove_uidplus_script(" 7", "7")},
      {"remove plain", remove_config(), remove_plain_expunged_script()},
      {"check", implicit(Mode::check),
       greeting_and_capability("IMAP4rev1") + login(2) + select(3) +
           Script{C("a4 FETCH 1:3 (UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT)])\r\n"),
                  S("a4 OK done\r\n")} +
           logout(5)},
  };
  for (const Case& c : cases) {
    for (std::size_t i = 1; i < c.script.size(); ++i) {
      if (c.script[i].who != Turn::Who::server || c.script[i - 1].who != Turn::Who::client)
        continue;
      const std::string command_tag =
          c.script[i - 1].bytes.substr(0, c.script[i - 1].bytes.find(' '));
      for (const std::string status : {"NO", "BAD"}) {
        INFO(c.name << ": " << status << " to " << c.script[i - 1].bytes);
        Run run = play(c.cfg, Script(c.script.begin(), c.script.begin() + i));
        const std::string phase = read_phase(run);
        play_server(run, command_tag + " " + status + " [SERVERBUG] oops\r\n", Feed::whole);
        expect_no_secret(*run.client, run.last, c.cfg);
        if (phase == "logout") {
          expect_success(run);
          continue;
        }
        // A refused NOOP only means polling without it: the next search follows.
        if (c.script[i - 1].bytes.find(" NOOP") != std::string::npos) {
          REQUIRE(run.last.kind == Kind::write);
          CHECK(run.last.data.find("UID SEARCH") != std::string::npos);
          continue;
        }
        Reason expected = status == "NO" ? Reason::rejected : Reason::protocol;
        if (phase == "starttls") expected = Reason::starttls_unavailable;
        if (phase == "login" && status == "NO") expected = Reason::auth_failed;
        expect_failure(run, expected, phase);
        REQUIRE(run.last.failure->reply);
        CHECK(run.last.failure->reply->status == status);
        CHECK(run.last.failure->reply->enhanced == "SERVERBUG");
        CHECK(run.last.failure->reply->text == "oops");
        CHECK_FALSE(run.client->outcome().deleted_uids.size() > 0);
      }
    }
  }
}

TEST_CASE("a secret echoed in capitals is redacted, in the status word too", "[imap]") {
  std::string shouted = kSentinel;
  for (char& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const Run run = play(implicit(), {S("* " + shouted + " hello\r\n")});
  expect_failure(run, Reason::protocol, "greeting");
  REQUIRE(run.last.failure->reply);
  CHECK(run.last.failure->reply->status == "<redacted>");
  for (const TranscriptLine& line : run.client->transcript().lines())
    CHECK(line.text.find(shouted) == std::string::npos);
}

TEST_CASE("a literal over the limit names the literal limit, a response over it its own",
          "[imap]") {
  const Script before_fetch = greeting_and_capability("IMAP4rev1") + login(2) + select(3) +
                              search(4, " 7") +
                              Script{C("a5 UID FETCH 7 (UID BODY.PEEK[HEADER])\r\n")};
  const Run run =
      play(implicit(), before_fetch + Script{S("* 1 FETCH (UID 7 BODY[HEADER] {999999999}\r\n")});
  expect_failure(run, Reason::protocol, "fetch");
  CHECK(run.last.failure->message.find("literal larger than the limit of " +
                                       std::to_string(kMaxLiteralBytes)) != std::string::npos);
  const std::string payload(kMaxLiteralBytes, 'x');
  const std::string literal = "{" + std::to_string(payload.size()) + "}\r\n";
  const Run chained =
      play(implicit(),
           before_fetch + Script{S("* 1 FETCH (UID 7 A " + literal + payload + " B " + literal)});
  expect_failure(chained, Reason::protocol, "fetch");
  CHECK(chained.last.failure->message.find("response larger than the limit of " +
                                           std::to_string(kMaxResponseBytes)) != std::string::npos);
}
