// Delivery reports in the IMAP tasks, with real reports (tests/unit/dsn/*.eml) as the server's
// messages: Wait reads the text of a hit that may be a report, fails at once as bounced when
// a bounce returns the probe (or succeeds on it when the file expects one), waits on after a
// delay warning, and ignores reports about other mail; Delete removes the reports about the
// probe with it, and no other report. No sockets, no clocks.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "tests/unit/imap_dialogue.hpp"

using namespace imap_dialogue;
namespace imap = mc::proto::imap;

namespace {

// The token the samples return, replaced by the dialogue's.
const std::string kSampleToken = "4f9c2b7e1a3d5c6b8e0f1a2b3c4d5e6f";

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// A sample with CRLF line ends and the dialogue's token.
std::string report(const std::string& name) {
  std::ifstream in(std::string(MAILCANARY_SOURCE_DIR) + "/tests/unit/dsn/" + name,
                   std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return replaced(replaced(s.str(), kSampleToken, kToken), "\n", "\r\n");
}

std::string header_of(const std::string& message) {
  return message.substr(0, message.find("\r\n\r\n") + 4);
}

std::string literal(const std::string& s) {
  return "{" + std::to_string(s.size()) + "}\r\n" + s;
}

// The FETCH of the text of the report candidates `set`, answered with `replies`.
Script fetch_text(int n, const std::string& set, const std::string& replies) {
  return {C(tag(n) + " UID FETCH " + set + " (UID BODY.PEEK[]<0.65536>)\r\n"),
          S(replies + tag(n) + " OK Fetch completed.\r\n")};
}

std::string text_reply(int seq, int uid, const std::string& message) {
  return "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(uid) + " BODY[]<0> " +
         literal(message) + ")\r\n";
}

struct Bench {
  imap::Link link{link_config()};
  std::unique_ptr<imap::Wait> wait;
  explicit Bench(bool expect_bounce = false, bool sent_after_select = false) {
    log_in(link, "IMAP4rev1 UIDPLUS IDLE");
    imap::WaitConfig cfg{"INBOX", kToken, std::chrono::milliseconds(250)};
    cfg.expect_bounce = expect_bounce;
    cfg.sent_after_select = sent_after_select;
    wait = std::make_unique<imap::Wait>(link, cfg);
  }
};

}  // namespace

TEST_CASE("wait: a bounce that returns the probe fails at once as bounced, with its words",
          "[imap][tasks][dsn]") {
  Bench b;
  const std::string dsn = report("postfix-rfc822-headers.eml");
  const Played run =
      play_machine(*b.wait, select(3) + search(4, "") + idle_until(5, "* 4 EXISTS\r\n") +
                                search(6, " 7") + fetch(7, "7", fetch_reply(4, 7, header_of(dsn))) +
                                fetch_text(8, "7", text_reply(4, 7, dsn)));
  expect_failure(run, mc::Reason::bounced, "fetch");
  REQUIRE(run.last.failure->reply);
  CHECK(run.last.failure->reply->enhanced == "5.1.1");
  CHECK(run.last.failure->reply->code == 550);
  CHECK(run.last.failure->reply->text.find("reported by") != std::string::npos);
  CHECK(run.last.failure->message.find("Status 5.1.1") != std::string::npos);
  const auto& o = b.wait->outcome();
  CHECK(o.found_uids == std::vector<std::uint32_t>{7});
  CHECK(o.headers.empty());
  REQUIRE(o.bounce);
  CHECK(o.bounce->is_bounce());
  CHECK(o.detected_by == "idle");
  // Every command was answered: imap.delete may still remove the report in this session.
  CHECK(b.link.can_log_out());
}

TEST_CASE("wait: with expect bounce, the bounce is the success", "[imap][tasks][dsn]") {
  Bench b(true);
  const std::string dsn = report("exim-rfc3464.eml");
  const Played run = play_machine(*b.wait, select(3) + search(4, " 9") +
                                               fetch(5, "9", fetch_reply(4, 9, header_of(dsn))) +
                                               fetch_text(6, "9", text_reply(4, 9, dsn)));
  expect_success(run);
  const auto& o = b.wait->outcome();
  CHECK(o.found_uids == std::vector<std::uint32_t>{9});
  REQUIRE(o.bounce);
  CHECK(o.detected_by == "search");
}

TEST_CASE("wait: with expect bounce, a delivered probe is no success; the bounce after it is",
          "[imap][tasks][dsn]") {
  Bench b(true);
  const std::string dsn = report("gmail-failure.eml");
  const Played run = play_machine(
      *b.wait,
      select(3) + search(4, " 7") + fetch(5, "7", fetch_reply(4, 7, probe_header())) +
          idle_until(6, "* 5 EXISTS\r\n") + search(7, " 7 8") +
          fetch(8, "7:8", fetch_reply(4, 7, probe_header()) + fetch_reply(5, 8, header_of(dsn))) +
          fetch_text(9, "8", text_reply(5, 8, dsn)));
  expect_success(run);
  CHECK(b.wait->outcome().found_uids == std::vector<std::uint32_t>{7, 8});
  CHECK(transcript_has(*b.wait, TranscriptLine::Dir::note, "still waiting for the bounce"));
}

TEST_CASE("wait: a delay warning is no bounce; the probe that comes after it is found with it",
          "[imap][tasks][dsn]") {
  Bench b;
  const std::string warning = report("postfix-delayed.eml");
  const Played run = play_machine(
      *b.wait,
      select(3) + search(4, " 7") + fetch(5, "7", fetch_reply(4, 7, header_of(warning))) +
          fetch_text(6, "7", text_reply(4, 7, warning)) + idle_until(7, "* 5 EXISTS\r\n") +
          search(8, " 7 9") +
          fetch(9, "7,9",
                fetch_reply(4, 7, header_of(warning)) + fetch_reply(5, 9, probe_header())) +
          fetch_text(10, "7", text_reply(4, 7, warning)));
  expect_success(run);
  const auto& o = b.wait->outcome();
  // The warning is about the probe: imap.delete removes it with the probe.
  CHECK(o.found_uids == std::vector<std::uint32_t>{7, 9});
  CHECK_FALSE(o.bounce);
  CHECK_FALSE(o.headers.empty());
  CHECK(transcript_has(*b.wait, TranscriptLine::Dir::note, "no bounce"));
}

TEST_CASE("wait: a report about other mail, and mail that quotes the token, are left alone",
          "[imap][tasks][dsn]") {
  Bench b;
  const std::string forwarded = report("forwarded-report.eml");
  const std::string quoted = report("user-quotes-token.eml");
  const std::string other =
      replaced(report("postfix-rfc822-headers.eml"), kToken, "00000000000000000000000000000000");
  const Played run = play_machine(
      *b.wait,
      select(3) + search(4, " 5 6 7") +
          fetch(5, "5:7",
                fetch_reply(1, 5, header_of(forwarded)) + fetch_reply(2, 6, header_of(quoted)) +
                    fetch_reply(3, 7, header_of(other))) +
          // Only the one from a mailer daemon is read; it returns another token.
          fetch_text(6, "7", text_reply(3, 7, other)) + idle_until(7, "* 4 EXISTS\r\n") +
          search(8, " 9") + fetch(9, "9", fetch_reply(4, 9, probe_header())));
  expect_success(run);
  CHECK(b.wait->outcome().found_uids == std::vector<std::uint32_t>{9});
  CHECK(transcript_has(*b.wait, TranscriptLine::Dir::note, "no delivery report about our probe"));
}

TEST_CASE("wait: opened before the send, it reads the text only from the UIDNEXT of its SELECT",
          "[imap][tasks][dsn]") {
  Bench b(false, true);
  const std::string line = tag(4) + " UID SEARCH OR HEADER X-Mailcanary-Token \"" + kToken +
                           "\" (UID 12:* TEXT \"" + kToken + "\")\r\n";
  const Played run =
      play_machine(*b.wait, select(3) + Script{C(line), S("* SEARCH 12\r\na4 OK done\r\n")} +
                                fetch(5, "12", fetch_reply(4, 12, probe_header())));
  expect_success(run);
  CHECK(b.wait->outcome().found_uids == std::vector<std::uint32_t>{12});
}

TEST_CASE("delete: the reports about the probe go with it, and no other report",
          "[imap][tasks][dsn]") {
  imap::Link link{link_config()};
  log_in(link, "IMAP4rev1 UIDPLUS IDLE");
  const std::string ours = report("qmail-failure-notice.eml");
  const std::string other =
      replaced(report("postfix-rfc822-headers.eml"), kToken, "00000000000000000000000000000000");
  SECTION("no UIDs given, as the sweep of earlier runs: the text proves the report") {
    imap::Delete del(link, imap::DeleteConfig{"INBOX", kToken, {}, 0, {}, false});
    const Played run = play_machine(
        del, select(3) + search(4, " 5 6") +
                 fetch(5, "5:6",
                       fetch_reply(1, 5, header_of(ours)) + fetch_reply(2, 6, header_of(other))) +
                 fetch_text(6, "5:6", text_reply(1, 5, ours) + text_reply(2, 6, other)) +
                 Script{C("a7 UID STORE 5 +FLAGS.SILENT (\\Deleted)\r\n"), S("a7 OK done\r\n"),
                        C("a8 UID EXPUNGE 5\r\n"), S("* 1 EXPUNGE\r\na8 OK done\r\n")});
    expect_success(run);
    CHECK(del.outcome().deleted_uids == std::vector<std::uint32_t>{5});
    CHECK(del.outcome().report_uids == std::vector<std::uint32_t>{5});
  }
  SECTION("the UIDs imap.wait verified: only those, even when the search finds more") {
    imap::Delete del(link, imap::DeleteConfig{"INBOX", kToken, {5}, 0, {}, false});
    const Played run = play_machine(
        del, select(3) + search(4, " 5 6") +
                 Script{C("a5 UID STORE 5 +FLAGS.SILENT (\\Deleted)\r\n"), S("a5 OK done\r\n"),
                        C("a6 UID EXPUNGE 5\r\n"), S("* 1 EXPUNGE\r\na6 OK done\r\n")});
    expect_success(run);
    CHECK(del.outcome().deleted_uids == std::vector<std::uint32_t>{5});
  }
}
