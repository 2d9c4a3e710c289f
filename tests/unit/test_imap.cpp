// The IMAP client from scripted dialogues: the test plays the server, and checks every byte the
// client writes and every action it asks for. No sockets, no clocks.
#include <catch2/catch.hpp>

#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "codec/base64.hpp"
#include "protocols/imap.hpp"

namespace {

using mc::Reason;
using mc::TranscriptLine;
using mc::codec::base64_encode;
using mc::proto::Action;
using mc::proto::kMaxLineBytes;
using mc::proto::kMaxLiteralBytes;
using mc::proto::LineBuffer;
using namespace mc::proto::imap;
using Kind = Action::Kind;

const std::string kUser = "probe@example.test";
const std::string kSentinel = "S3ntinel-P4ss!";
const std::string kToken = "3f9a0c1d2e4b5a6978877665544332211";
const std::string kUidValidity = "1700000000";

// ---- The scripted dialogue harness -------------------------------------------------------

struct Turn {
  enum class Who { client, server, tls, wait };
  Who who;
  std::string bytes;
};
using Script = std::vector<Turn>;

Turn C(std::string bytes) {
  return {Turn::Who::client, std::move(bytes)};
}
Turn S(std::string bytes) {
  return {Turn::Who::server, std::move(bytes)};
}
Turn Tls() {
  return {Turn::Who::tls, {}};
}
Turn Wait() {
  return {Turn::Who::wait, {}};
}

Script operator+(Script a, const Script& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

enum class Feed { whole, byte_by_byte };

struct Run {
  std::unique_ptr<Client> client;
  Action last;
  std::vector<Action> actions;      // every action the client asked for, in order
  std::vector<std::string> writes;  // every byte string it wrote
};

Config config(Mode mode = Mode::wait) {
  Config cfg;
  cfg.user = kUser;
  cfg.secret = kSentinel;
  cfg.token = kToken;
  cfg.mode = mode;
  return cfg;
}

// The secret must never be readable anywhere the client reports to, in any spelling.
void expect_no_secret(const Client& client, const Action& last, const Config& cfg) {
  const std::vector<std::string> forms = {
      cfg.secret, base64_encode(cfg.secret),
      base64_encode(std::string(1, '\0') + cfg.user + '\0' + cfg.secret)};
  auto clean = [&](const std::string& text) {
    for (const std::string& form : forms) {
      INFO(text);
      CHECK(text.find(form) == std::string::npos);
    }
  };
  for (const TranscriptLine& line : client.transcript().lines()) {
    clean(line.text);
    // The user name is redacted from the commands that carry it.
    if (line.dir == TranscriptLine::Dir::client)
      CHECK(line.text.find(cfg.user) == std::string::npos);
  }
  if (last.failure) {
    clean(last.failure->message);
    if (last.failure->reply) {
      clean(last.failure->reply->text);
      clean(last.failure->reply->enhanced);
    }
  }
}

void step(Run& run, Action next) {
  run.actions.push_back(next);
  run.last = std::move(next);
}

void play_server(Run& run, const std::string& bytes, Feed feed) {
  REQUIRE(run.last.kind == Kind::read);
  if (feed == Feed::byte_by_byte && bytes.size() > 1) {
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
      run.last = run.client->on_input(bytes.substr(i, 1));
      INFO("byte " << i << " of " << bytes);
      REQUIRE(run.last.kind == Kind::read);
    }
    step(run, run.client->on_input(bytes.substr(bytes.size() - 1)));
  } else {
    step(run, run.client->on_input(bytes));
  }
}

// Plays `script` against a fresh client; REQUIREs every action the script expects from it.
Run play(const Config& cfg, const Script& script, Feed feed = Feed::whole) {
  Run run{std::make_unique<Client>(cfg), {}, {}, {}};
  step(run, run.client->start());
  for (const Turn& turn : script) {
    switch (turn.who) {
      case Turn::Who::client:
        REQUIRE(run.last.kind == Kind::write);
        REQUIRE(run.last.data == turn.bytes);
        run.writes.push_back(run.last.data);
        step(run, run.client->on_written());
        break;
      case Turn::Who::server:
        play_server(run, turn.bytes, feed);
        break;
      case Turn::Who::tls:
        REQUIRE(run.last.kind == Kind::start_tls);
        REQUIRE(run.last.phase == "tls_handshake");
        step(run, run.client->on_tls());
        break;
      case Turn::Who::wait:
        REQUIRE(run.last.kind == Kind::wait);
        REQUIRE(run.last.phase == "search");
        REQUIRE(run.last.wait == cfg.poll_interval);
        step(run, run.client->on_waited());
        break;
    }
  }
  expect_no_secret(*run.client, run.last, cfg);
  return run;
}

void expect_success(const Run& run) {
  REQUIRE(run.last.kind == Kind::done);
  if (run.last.failure) FAIL(run.last.failure->message);
}

void expect_failure(const Run& run, Reason reason, const std::string& phase) {
  REQUIRE(run.last.kind == Kind::done);
  REQUIRE(run.last.failure.has_value());
  INFO(run.last.failure->message);
  CHECK(run.last.failure->reason == reason);
  CHECK(run.last.failure->phase == phase);
}

std::vector<std::string> write_phases(const Run& run) {
  std::vector<std::string> phases;
  for (const Action& a : run.actions) {
    if (a.kind == Kind::write) phases.push_back(a.phase);
  }
  return phases;
}

bool transcript_has(const Client& client, TranscriptLine::Dir dir, const std::string& text) {
  for (const TranscriptLine& line : client.transcript().lines()) {
    if (line.dir == dir && line.text.find(text) != std::string::npos) return true;
  }
  return false;
}

bool wrote(const Run& run, const std::string& text) {
  for (const std::string& w : run.writes) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

// ---- Script pieces ------------------------------------------------------------------------

std::string tag(int n) {
  return "a" + std::to_string(n);
}

std::string probe_header(const std::string& token_line = "X-Mailcanary-Token: " + kToken) {
  return "Return-Path: <probe@example.test>\r\n"
         "Subject: mailcanary probe\r\n" +
         token_line +
         "\r\n"
         "Message-ID: <1@example.test>\r\n"
         "\r\n";
}

std::string fetch_reply(int seq, int uid, const std::string& header) {
  return "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(uid) + " BODY[HEADER] {" +
         std::to_string(header.size()) + "}\r\n" + header + ")\r\n";
}

std::string login_line(int n) {
  return tag(n) + " LOGIN \"" + kUser + "\" \"" + kSentinel + "\"\r\n";
}

std::string search_line(int n) {
  return tag(n) + " UID SEARCH HEADER X-Mailcanary-Token \"" + kToken + "\"\r\n";
}

Script greeting_and_capability(const std::string& caps) {
  return {S("* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n"), C("a1 CAPABILITY\r\n"),
          S("* CAPABILITY " + caps +
            "\r\na1 OK Pre-login capabilities listed, post-login "
            "capabilities have more.\r\n")};
}

Script login(int n) {
  return {C(login_line(n)), S(tag(n) + " OK Logged in\r\n")};
}

Script select(int n, int exists = 3, const std::string& uidvalidity = kUidValidity) {
  return {C(tag(n) + " SELECT \"INBOX\"\r\n"),
          S("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags "
            "permitted.\r\n* " +
            std::to_string(exists) + " EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY " + uidvalidity +
            "] UIDs valid\r\n* OK [UIDNEXT 12] Predicted next UID\r\n" + tag(n) +
            " OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n")};
}

Script search(int n, const std::string& hits) {
  return {C(search_line(n)), S("* SEARCH" + hits + "\r\n" + tag(n) + " OK Search completed.\r\n")};
}

Script fetch(int n, const std::string& set, const std::string& replies) {
  return {C(tag(n) + " UID FETCH " + set + " (UID BODY.PEEK[HEADER])\r\n"),
          S(replies + tag(n) + " OK Fetch completed.\r\n")};
}

Script logout(int n) {
  return {C(tag(n) + " LOGOUT\r\n"),
          S("* BYE Logging out\r\n" + tag(n) + " OK Logout completed.\r\n")};
}

// imap://: STARTTLS, LOGIN, SELECT, an empty search, a sleep, a hit, its header, LOGOUT.
Script happy_wait_script() {
  return Script{S("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n"),
                C("a1 CAPABILITY\r\n"),
                S("* CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED\r\na1 OK listed.\r\n"),
                C("a2 STARTTLS\r\n"),
                S("a2 OK Begin TLS negotiation now.\r\n"),
                Tls(),
                C("a3 CAPABILITY\r\n"),
                S("* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN\r\na3 OK listed.\r\n")} +
         Script{C(login_line(4)), S("a4 OK [CAPABILITY IMAP4rev1 UIDPLUS IDLE] Logged in\r\n")} +
         select(5) + search(6, "") + Script{Wait()} + search(7, " 7") +
         fetch(8, "7", fetch_reply(3, 7, probe_header())) + logout(9);
}

// imaps:// remove with UIDPLUS; `hits` is what the token search answers.
Script remove_uidplus_script(const std::string& hits, const std::string& set) {
  return greeting_and_capability("IMAP4rev1 UIDPLUS") + login(2) + select(3) + search(4, hits) +
         Script{C("a5 UID STORE " + set + " +FLAGS.SILENT (\\Deleted)\r\n"),
                S("a5 OK Store completed.\r\n"), C("a6 UID EXPUNGE " + set + "\r\n"),
                S("* 3 EXPUNGE\r\na6 OK Expunge completed.\r\n")} +
         logout(7);
}

// imaps:// remove without UIDPLUS; `deleted` is what UID SEARCH DELETED answers.
Script remove_plain_script(const std::string& deleted) {
  return greeting_and_capability("IMAP4rev1") + login(2) + select(3) + search(4, " 7") +
         Script{C("a5 UID STORE 7 +FLAGS.SILENT (\\Deleted)\r\n"), S("a5 OK Store completed.\r\n"),
                C("a6 UID SEARCH DELETED\r\n"),
                S("* SEARCH" + deleted + "\r\na6 OK Search completed.\r\n")};
}

Script remove_plain_expunged_script() {
  return remove_plain_script(" 7") +
         Script{C("a7 EXPUNGE\r\n"), S("* 3 EXPUNGE\r\na7 OK Expunge completed.\r\n")} + logout(8);
}

Config implicit(Mode mode = Mode::wait) {
  Config cfg = config(mode);
  cfg.implicit_tls = true;
  return cfg;
}

Config remove_config(std::vector<std::uint32_t> uids = {7}) {
  Config cfg = implicit(Mode::remove);
  cfg.uids = std::move(uids);
  cfg.uidvalidity = 1700000000;
  return cfg;
}

std::string read_phase(const Run& run) {
  REQUIRE(run.last.kind == Kind::read);
  return run.last.phase;
}

}  // namespace

// ---- Helpers and the response reader -------------------------------------------------------

TEST_CASE("quote_astring escapes backslash and double quote", "[imap]") {
  CHECK(quote_astring("INBOX") == "\"INBOX\"");
  CHECK(quote_astring("") == "\"\"");
  CHECK(quote_astring(R"(pa"ss\word)") == R"("pa\"ss\\word")");
}

TEST_CASE("needs_literal is true for CR, LF, NUL and 8-bit bytes only", "[imap]") {
  CHECK_FALSE(needs_literal("plain ascii \"quoted\" \\ ok"));
  CHECK(needs_literal("a\rb"));
  CHECK(needs_literal("a\nb"));
  CHECK(needs_literal(std::string("a\0b", 3)));
  CHECK(needs_literal("p\xc3\xa4ss"));
}

namespace {
ResponseReader::Status read_one(const std::string& bytes, Response& out) {
  LineBuffer in;
  in.feed(bytes);
  ResponseReader reader;
  return reader.next(in, out);
}
}  // namespace

TEST_CASE("ResponseReader splits tagged, untagged and continuation responses", "[imap]") {
  Response r;
  REQUIRE(read_one("a3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n", r) ==
          ResponseReader::Status::complete);
  CHECK(r.kind == Response::Kind::tagged);
  CHECK(r.tag == "a3");
  CHECK(r.status == "NO");
  CHECK(r.code == "AUTHENTICATIONFAILED");
  CHECK(r.text == "Authentication failed.");

  REQUIRE(read_one("* ok [UIDVALIDITY 1700000000] UIDs valid\r\n", r) ==
          ResponseReader::Status::complete);
  CHECK(r.kind == Response::Kind::untagged);
  CHECK(r.status == "OK");
  CHECK(r.code == "UIDVALIDITY 1700000000");
  CHECK(r.text == "UIDs valid");

  REQUIRE(read_one("* 12 EXISTS\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.status == "EXISTS");
  CHECK(r.number == 12);

  REQUIRE(read_one("* SEARCH 3 7\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.status == "SEARCH");
  CHECK(r.text == "3 7");

  REQUIRE(read_one("* CAPABILITY IMAP4rev1 IDLE\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.status == "CAPABILITY");
  CHECK(r.text == "IMAP4rev1 IDLE");

  REQUIRE(read_one("+ Ready for literal data\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.kind == Response::Kind::continuation);
  CHECK(r.text == "Ready for literal data");
  REQUIRE(read_one("+\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.kind == Response::Kind::continuation);
  CHECK(r.text.empty());

  REQUIRE(read_one("a1 OK [unterminated code\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.code.empty());
  CHECK(r.text == "[unterminated code");
}

TEST_CASE("ResponseReader collects several literals; the response goes on after each", "[imap]") {
  const std::string bytes =
      "* 1 FETCH (UID 7 BODY[HEADER] {5}\r\nHe\r\n\r BODY[TEXT] {3}\r\nabc FLAGS (\\Seen))\r\n"
      "* 2 EXISTS\r\n";
  Response r;
  LineBuffer in;
  in.feed(bytes);
  ResponseReader reader;
  REQUIRE(reader.next(in, r) == ResponseReader::Status::complete);
  CHECK(r.status == "FETCH");
  CHECK(r.number == 1);
  CHECK(r.text == "(UID 7 BODY[HEADER] {5} BODY[TEXT] {3} FLAGS (\\Seen))");
  REQUIRE(r.literals.size() == 2);
  CHECK(r.literals[0] == "He\r\n\r");
  CHECK(r.literals[1] == "abc");
  REQUIRE(reader.next(in, r) == ResponseReader::Status::complete);
  CHECK(r.status == "EXISTS");
  CHECK(reader.next(in, r) == ResponseReader::Status::need_more);
}

TEST_CASE("ResponseReader resumes a response fed one byte at a time", "[imap]") {
  const std::string bytes = "* 1 FETCH (UID 7 BODY[HEADER] {4}\r\nab\r\n)\r\n";
  LineBuffer in;
  ResponseReader reader;
  Response r;
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    in.feed(bytes.substr(i, 1));
    REQUIRE(reader.next(in, r) == ResponseReader::Status::need_more);
  }
  in.feed(bytes.substr(bytes.size() - 1));
  REQUIRE(reader.next(in, r) == ResponseReader::Status::complete);
  CHECK(r.literals == std::vector<std::string>{"ab\r\n"});
  CHECK(r.text == "(UID 7 BODY[HEADER] {4})");
}

TEST_CASE("ResponseReader takes no literal from status responses", "[imap]") {
  Response r;
  REQUIRE(read_one("* OK see {5}\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.text == "see {5}");
  REQUIRE(read_one("a1 OK done {5}\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.literals.empty());
}

TEST_CASE("ResponseReader refuses malformed responses", "[imap]") {
  Response r;
  for (const char* line : {"\r\n", "a1\r\n", "a1 FOO bar\r\n", "a1 BYE x\r\n", "*\r\n", "* \r\n",
                           "* 3 OK x\r\n", "* 99999999999 EXISTS\r\n", "a(1 OK x\r\n"}) {
    INFO(line);
    CHECK(read_one(line, r) == ResponseReader::Status::malformed);
  }
}

TEST_CASE("ResponseReader enforces the line and literal limits and strict CRLF", "[imap]") {
  Response r;
  CHECK(read_one(std::string(kMaxLineBytes + 10, 'x'), r) == ResponseReader::Status::too_long);
  CHECK(read_one("* OK fine\n", r) == ResponseReader::Status::bare_lf);
  // Refused from the announcement alone: not one payload byte has arrived.
  CHECK(read_one("* 1 FETCH (BODY[HEADER] {" + std::to_string(kMaxLiteralBytes + 1) + "}\r\n", r) ==
        ResponseReader::Status::literal_too_large);
  CHECK(read_one("* 1 FETCH (BODY[HEADER] {99999999999999999999999999}\r\n", r) ==
        ResponseReader::Status::literal_too_large);
  CHECK(read_one("* 1 FETCH (BODY[HEADER] {" + std::to_string(kMaxLiteralBytes) + "}\r\n", r) ==
        ResponseReader::Status::need_more);
}

TEST_CASE("ResponseReader bounds a response that chains literal after literal", "[imap]") {
  LineBuffer in;
  ResponseReader reader;
  Response r;
  const std::string payload(kMaxLiteralBytes, 'x');
  in.feed("* 1 FETCH (A {" + std::to_string(payload.size()) + "}\r\n");
  in.feed(payload);
  in.feed(" B {" + std::to_string(payload.size()) + "}\r\n");
  CHECK(reader.next(in, r) == ResponseReader::Status::response_too_large);
}

// ---- The wait dialogue ------------------------------------------------------------------------

TEST_CASE("wait: STARTTLS, LOGIN, SELECT, empty search, sleep, hit, fetch, logout", "[imap]") {
  const Run run = play(config(), happy_wait_script());
  expect_success(run);
  const Outcome& out = run.client->outcome();
  CHECK(out.tls);
  CHECK(out.found_uids == std::vector<std::uint32_t>{7});
  CHECK(out.headers == probe_header());
  CHECK(out.searches == 2);
  CHECK(out.uidvalidity == 1700000000);
  CHECK(out.capabilities == std::vector<std::string>{"IMAP4REV1", "UIDPLUS", "IDLE"});
  CHECK(write_phases(run) == std::vector<std::string>{"capability", "starttls", "capability",
                                                      "login", "select", "search", "search",
                                                      "fetch", "logout"});
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

TEST_CASE("wait: untagged responses interleaved anywhere are tolerated", "[imap]") {
  const std::string noise =
      "* 4 EXISTS\r\n* 1 RECENT\r\n* OK [ALERT] System maintenance at 03:00\r\n"
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
                        search(6, " 7 8 9 10 11") +
                        fetch(7, "7:11", fakes + fetch_reply(5, 11, folded)) + logout(8);
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

// ---- Deletion safety -------------------------------------------------------------------------

TEST_CASE("remove with UIDPLUS: UID STORE then UID EXPUNGE of exactly our UID", "[imap]") {
  const Run run = play(remove_config(), remove_uidplus_script(" 7", "7"));
  expect_success(run);
  CHECK(run.writes[4] == "a5 UID STORE 7 +FLAGS.SILENT (\\Deleted)\r\n");
  CHECK(run.writes[5] == "a6 UID EXPUNGE 7\r\n");
  CHECK(write_phases(run) == std::vector<std::string>{"capability", "login", "select", "search",
                                                      "store", "expunge", "logout"});
  CHECK(run.client->outcome().deleted_uids == std::vector<std::uint32_t>{7});
  CHECK_FALSE(run.client->outcome().expunge_skipped);
}

TEST_CASE("remove without UIDPLUS, no one else's \\Deleted mail: EXPUNGE", "[imap]") {
  const Run run = play(remove_config(), remove_plain_expunged_script());
  expect_success(run);
  CHECK(run.writes[6] == "a7 EXPUNGE\r\n");
  CHECK(run.client->outcome().deleted_uids == std::vector<std::uint32_t>{7});
  CHECK_FALSE(run.client->outcome().expunge_skipped);
}

// The header fields FETCH of the \\Deleted messages that are not this run's probe.
Script fetch_deleted(int n, const std::string& set, const std::string& replies) {
  return {
      C(tag(n) + " UID FETCH " + set + " (UID BODY.PEEK[HEADER.FIELDS (X-Mailcanary-Token)])\r\n"),
      S(replies + tag(n) + " OK Fetch completed.\r\n")};
}

std::string token_fields(int seq, int uid, const std::string& token) {
  const std::string fields = token.empty() ? "\r\n" : "X-Mailcanary-Token: " + token + "\r\n\r\n";
  return "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(uid) +
         " BODY[HEADER.FIELDS (X-MAILCANARY-TOKEN)] {" + std::to_string(fields.size()) + "}\r\n" +
         fields + ")\r\n";
}

const std::string kEarlierToken = "0011223344556677889900aabbccddeeff";

TEST_CASE("remove without UIDPLUS while a user's message is \\Deleted: no EXPUNGE at all",
          "[imap]") {
  const Run run =
      play(remove_config(),
           remove_plain_script(" 3 7") + fetch_deleted(7, "3", token_fields(1, 3, "")) + logout(8));
  expect_success(run);
  for (const std::string& w : run.writes) CHECK(w.find("EXPUNGE") == std::string::npos);
  CHECK(run.client->outcome().expunge_skipped);
  CHECK(run.client->outcome().deleted_uids.empty());
  CHECK(transcript_has(*run.client, TranscriptLine::Dir::note, "not expunging"));
}

TEST_CASE("remove without UIDPLUS: the scenario's own earlier probes do not block the EXPUNGE",
          "[imap]") {
  Config cfg = remove_config();
  cfg.own_tokens = {kEarlierToken};
  SECTION("every other \\Deleted message carries a token of ours") {
    const Run run = play(
        cfg, remove_plain_script(" 3 5 7") +
                 fetch_deleted(7, "3,5",
                               token_fields(1, 3, kEarlierToken) + token_fields(2, 5, kToken)) +
                 Script{C("a8 EXPUNGE\r\n"), S("* 3 EXPUNGE\r\na8 OK Expunge completed.\r\n")} +
                 logout(9));
    expect_success(run);
    CHECK_FALSE(run.client->outcome().expunge_skipped);
    CHECK(run.client->outcome().deleted_uids == std::vector<std::uint32_t>{7});
    CHECK(run.client->outcome().also_expunged == std::vector<std::string>{kEarlierToken});
  }
  SECTION("one of them is the user's: nothing is expunged") {
    const Run run = play(
        cfg,
        remove_plain_script(" 3 5 7") +
            fetch_deleted(7, "3,5", token_fields(1, 3, kEarlierToken) + token_fields(2, 5, "")) +
            logout(8));
    expect_success(run);
    for (const std::string& w : run.writes) CHECK(w.find("EXPUNGE") == std::string::npos);
    CHECK(run.client->outcome().expunge_skipped);
    CHECK(run.client->outcome().also_expunged.empty());
    CHECK(transcript_has(*run.client, TranscriptLine::Dir::note, "UIDs 5)"));
  }
  SECTION("a token that is not this scenario's is the user's mail") {
    const Run run = play(remove_config(),
                         remove_plain_script(" 3 7") +
                             fetch_deleted(7, "3", token_fields(1, 3, kEarlierToken)) + logout(8));
    expect_success(run);
    CHECK(run.client->outcome().expunge_skipped);
  }
  SECTION("a message that does not answer the FETCH is not ours") {
    const Run run = play(cfg, remove_plain_script(" 3 7") + fetch_deleted(7, "3", "") + logout(8));
    expect_success(run);
    CHECK(run.client->outcome().expunge_skipped);
  }
}

TEST_CASE(
    "remove without UIDPLUS: a backlog of over a hundred flagged probes is checked in "
    "batches, then expunged",
    "[imap]") {
  Config cfg = remove_config();
  cfg.own_tokens = {kEarlierToken};
  std::string deleted = " 7";
  std::string first_batch;
  for (int uid = 1000; uid < 1100; ++uid) {
    deleted += " " + std::to_string(uid);
    first_batch += token_fields(1, uid, kEarlierToken);
  }
  deleted += " 1100";
  const Run run =
      play(cfg, remove_plain_script(deleted) + fetch_deleted(7, "1000:1099", first_batch) +
                    fetch_deleted(8, "1100", token_fields(1, 1100, kEarlierToken)) +
                    Script{C("a9 EXPUNGE\r\n"), S("* 3 EXPUNGE\r\na9 OK Expunge completed.\r\n")} +
                    logout(10));
  expect_success(run);
  CHECK_FALSE(run.client->outcome().expunge_skipped);
  CHECK(run.client->outcome().deleted_uids == std::vector<std::uint32_t>{7});
}

TEST_CASE("remove find_only: a kept probe is found and verified, never flagged", "[imap]") {
  Config cfg = implicit(Mode::remove);
  cfg.find_only = true;
  const Run run =
      play(cfg, greeting_and_capability("IMAP4rev1 UIDPLUS") + login(2) + select(3) +
                    search(4, " 7") + fetch(5, "7", fetch_reply(1, 7, probe_header())) + logout(6));
  expect_success(run);
  CHECK_FALSE(run.client->outcome().headers.empty());
  CHECK_FALSE(wrote(run, "STORE"));
  CHECK_FALSE(wrote(run, "EXPUNGE"));
}

TEST_CASE("the transcript keeps zero counts: * 0 RECENT", "[imap]") {
  const Run run = play(
      implicit(), greeting_and_capability("IMAP4rev1") + login(2) + select(3) + search(4, " 7") +
                      fetch(5, "7", fetch_reply(1, 7, probe_header())) + logout(6));
  expect_success(run);
  CHECK(transcript_has(*run.client, TranscriptLine::Dir::server, "* 0 RECENT"));
  CHECK(transcript_has(*run.client, TranscriptLine::Dir::server, "* 3 EXISTS"));
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

TEST_CASE("remove touches only UIDs that imap.wait found", "[imap]") {
  SECTION("the search finds more") {
    const Run run = play(remove_config({7}), remove_uidplus_script(" 5 7 9", "7"));
    expect_success(run);
    CHECK(run.client->outcome().deleted_uids == std::vector<std::uint32_t>{7});
    // The only commands that change anything name UID 7 alone.
    for (const std::string& w : run.writes) {
      if (w.find("STORE") != std::string::npos || w.find("EXPUNGE") != std::string::npos) {
        CHECK((w == "a5 UID STORE 7 +FLAGS.SILENT (\\Deleted)\r\n" || w == "a6 UID EXPUNGE 7\r\n"));
      }
    }
  }
  SECTION("imap.wait found more than are still there") {
    const Run run = play(remove_config({7, 8, 12}), remove_uidplus_script(" 7 9 12", "7,12"));
    expect_success(run);
    CHECK(run.client->outcome().deleted_uids == std::vector<std::uint32_t>{7, 12});
  }
  SECTION("nothing in common: nothing stored") {
    const Run run =
        play(remove_config({7}), greeting_and_capability("IMAP4rev1 UIDPLUS") + login(2) +
                                     select(3) + search(4, " 5 9") + logout(5));
    expect_success(run);
    CHECK_FALSE(wrote(run, "STORE"));
    CHECK(run.client->outcome().deleted_uids.empty());
  }
  SECTION("the search finds nothing: nothing stored") {
    const Run run = play(remove_config({7}), greeting_and_capability("IMAP4rev1 UIDPLUS") +
                                                 login(2) + select(3) + search(4, "") + logout(5));
    expect_success(run);
    CHECK_FALSE(wrote(run, "STORE"));
  }
}

TEST_CASE("remove without UIDs from imap.wait deletes only hits whose header proves it", "[imap]") {
  const Run run =
      play(remove_config({}),
           greeting_and_capability("IMAP4rev1 UIDPLUS") + login(2) + select(3) + search(4, " 7 9") +
               fetch(5, "7,9",
                     fetch_reply(1, 7, probe_header()) +
                         fetch_reply(2, 9, probe_header("Subject: " + kToken))) +
               Script{C("a6 UID STORE 7 +FLAGS.SILENT (\\Deleted)\r\n"), S("a6 OK\r\n"),
                      C("a7 UID EXPUNGE 7\r\n"), S("a7 OK\r\n")} +
               logout(8));
  expect_success(run);
  CHECK(run.client->outcome().deleted_uids == std::vector<std::uint32_t>{7});
}

TEST_CASE("remove when UIDVALIDITY changed: nothing stored", "[imap]") {
  SECTION("a different value") {
    const Run run = play(remove_config(), greeting_and_capability("IMAP4rev1 UIDPLUS") + login(2) +
                                              select(3, 3, "1600000000"));
    expect_failure(run, Reason::protocol, "select");
    CHECK(run.last.failure->message.find("nothing deleted") != std::string::npos);
    CHECK_FALSE(wrote(run, "STORE"));
    CHECK_FALSE(wrote(run, "EXPUNGE"));
  }
  SECTION("no value reported") {
    const Run run = play(remove_config(),
                         greeting_and_capability("IMAP4rev1 UIDPLUS") + login(2) +
                             Script{C("a3 SELECT \"INBOX\"\r\n"), S("* 3 EXISTS\r\na3 OK\r\n")});
    expect_failure(run, Reason::protocol, "select");
  }
  SECTION("changed while searching") {
    const Run run = play(remove_config(),
                         greeting_and_capability("IMAP4rev1 UIDPLUS") + login(2) + select(3) +
                             Script{C(search_line(4)), S("* OK [UIDVALIDITY 1800000000] reset\r\n"
                                                         "* SEARCH 7\r\na4 OK\r\n")});
    expect_failure(run, Reason::protocol, "search");
    CHECK_FALSE(wrote(run, "STORE"));
  }
  SECTION("unknown to the caller: not checked") {
    Config cfg = remove_config();
    cfg.uidvalidity = 0;
    expect_success(play(cfg, remove_uidplus_script(" 7", "7")));
  }
}

// ---- Check ---------------------------------------------------------------------------------

TEST_CASE("check: SELECT, FETCH the newest headers, LOGOUT", "[imap]") {
  const std::string fields = "Date: Mon, 23 Nov 2026 12:00:00 +0000\r\nSubject: hi\r\n\r\n";
  const Run run = play(
      implicit(Mode::check),
      greeting_and_capability("IMAP4rev1") + login(2) + select(3, 12) +
          Script{
              C("a4 FETCH 8:12 (UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT)])\r\n"),
              S("* 12 FETCH (UID 40 FLAGS (\\Seen) BODY[HEADER.FIELDS (DATE FROM SUBJECT)] {" +
                std::to_string(fields.size()) + "}\r\n" + fields + ")\r\na4 OK Fetch done\r\n")} +
          logout(5));
  expect_success(run);
  CHECK(write_phases(run) ==
        std::vector<std::string>{"capability", "login", "select", "fetch", "logout"});
}

TEST_CASE("check: an empty mailbox needs no FETCH", "[imap]") {
  const Run run = play(implicit(Mode::check),
                       greeting_and_capability("IMAP4rev1") + login(2) + select(3, 0) + logout(4));
  expect_success(run);
}

TEST_CASE("SELECT quotes the mailbox name", "[imap]") {
  Config cfg = implicit();
  cfg.mailbox = "Probe \"q\"";
  const Run run = play(cfg, greeting_and_capability("IMAP4rev1") + login(2) +
                                Script{C("a3 SELECT \"Probe \\\"q\\\"\"\r\n"),
                                       S("a3 NO [NONEXISTENT] Mailbox doesn't exist\r\n")});
  expect_failure(run, Reason::rejected, "select");
  CHECK(run.last.failure->reply->enhanced == "NONEXISTENT");
}
