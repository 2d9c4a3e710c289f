// imap.wait's watch on Junk, byte for byte: the LIST that finds it (SPECIAL-USE, a common name,
// the file's name), NOTIFY where offered (news in Junk ends the IDLE), STATUS polls without it,
// the EXAMINE of Junk and the return to INBOX, and what happens when any of it is refused. No
// sockets, no clocks.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "tests/unit/imap_dialogue.hpp"

using namespace imap_dialogue;
namespace imap = mc::proto::imap;

namespace {

struct Bench {
  imap::Link link{link_config()};
  std::unique_ptr<imap::Wait> wait;
  Bench(const std::string& caps, bool sent_after_select, const std::string& junk_mailbox = "") {
    imap::Login signin(link);
    const Played run = play_machine(
        signin, greeting_and_capability("IMAP4rev1") +
                    Script{C(login_line(2)), S("a2 OK [CAPABILITY " + caps + "] Logged in\r\n")});
    expect_success(run);
    imap::WaitConfig cfg{"INBOX", kToken, std::chrono::milliseconds(250)};
    cfg.watch_junk = true;
    cfg.junk_mailbox = junk_mailbox;
    cfg.sent_after_select = sent_after_select;
    wait = std::make_unique<imap::Wait>(link, cfg);
  }
};

const std::string kNotifyCaps = "IMAP4rev1 UIDPLUS IDLE SPECIAL-USE NOTIFY";

Script list(int n, const std::string& lines, bool special_use = true) {
  return {C(tag(n) + " LIST \"\" \"*\"" + (special_use ? " RETURN (SPECIAL-USE)" : "") + "\r\n"),
          S(lines + tag(n) + " OK List completed.\r\n")};
}

const std::string kDovecotList =
    "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
    "* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n"
    "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n";

Script notify(int n) {
  return {C(tag(n) +
            " NOTIFY SET (selected (MessageNew MessageExpunge)) (mailboxes \"Junk\" (MessageNew "
            "MessageExpunge))\r\n"),
          S(tag(n) + " OK NOTIFY completed.\r\n")};
}

Script status(int n, const std::string& name, int uidnext) {
  return {C(tag(n) + " STATUS \"" + name + "\" (UIDNEXT)\r\n"),
          S("* STATUS " + name + " (UIDNEXT " + std::to_string(uidnext) + ")\r\n" + tag(n) +
            " OK Status completed.\r\n")};
}

std::string search_from(int n, int from) {
  return tag(n) + " UID SEARCH OR HEADER X-Mailcanary-Token \"" + kToken + "\" (UID " +
         std::to_string(from) + ":* TEXT \"" + kToken + "\")\r\n";
}

Script search_at(int n, int from, const std::string& hits) {
  return {C(search_from(n, from)),
          S("* SEARCH" + hits + "\r\n" + tag(n) + " OK Search completed.\r\n")};
}

Script examine(int n, const std::string& name, int uidnext) {
  return {C(tag(n) + " EXAMINE \"" + name + "\"\r\n"),
          S("* 1 EXISTS\r\n* OK [UIDVALIDITY 99] UIDs valid\r\n* OK [UIDNEXT " +
            std::to_string(uidnext) + "] Predicted next UID\r\n" + tag(n) +
            " OK [READ-ONLY] Examine completed.\r\n")};
}

// Junk's EXAMINE for its baseline (UIDNEXT `uidnext`), then INBOX's SELECT: tags n and n+1.
Script open(int n, const std::string& junk, int uidnext) {
  return examine(n, junk, uidnext) + select(n + 1);
}

}  // namespace

TEST_CASE("junk: NOTIFY tells of new mail in Junk during IDLE; the probe is found there",
          "[imap][tasks][junk]") {
  Bench b(kNotifyCaps, true);
  const Played run = play_machine(
      *b.wait, list(3, kDovecotList) + open(4, "Junk", 5) + notify(6) + status(7, "Junk", 5) +
                   search_at(8, 12, "") +
                   idle_until(9, "* STATUS Junk (MESSAGES 1 UIDNEXT 6 UIDVALIDITY 99)\r\n") +
                   examine(10, "Junk", 6) + search_at(11, 5, " 5") +
                   fetch(12, "5", fetch_reply(1, 5, probe_header())));
  expect_success(run);
  const auto& o = b.wait->outcome();
  CHECK(o.junk == "Junk");
  CHECK(o.junk_how == "special-use");
  CHECK(o.junk_notify);
  CHECK(o.in_junk);
  CHECK(o.found_in == "Junk");
  CHECK(o.found_uids == std::vector<std::uint32_t>{5});
  CHECK(o.uidvalidity == 99);
  CHECK(o.detected_by == "idle");
  CHECK(o.at_idle_end);
}

TEST_CASE("junk: an EXISTS in INBOX is found there as before, Junk untouched",
          "[imap][tasks][junk]") {
  Bench b(kNotifyCaps, true);
  const Played run = play_machine(
      *b.wait, list(3, kDovecotList) + open(4, "Junk", 5) + notify(6) + status(7, "Junk", 5) +
                   search_at(8, 12, "") + idle_until(9, "* 4 EXISTS\r\n") +
                   search_at(10, 12, " 12") + fetch(11, "12", fetch_reply(4, 12, probe_header())));
  expect_success(run);
  CHECK_FALSE(b.wait->outcome().in_junk);
  CHECK(b.wait->outcome().found_in == "INBOX");
}

TEST_CASE("junk: what came to Junk between its baseline and the NOTIFY is looked into",
          "[imap][tasks][junk]") {
  Bench b(kNotifyCaps, true);
  const Played run = play_machine(*b.wait, list(3, kDovecotList) + open(4, "Junk", 5) + notify(6) +
                                               status(7, "Junk", 6) + search_at(8, 12, "") +
                                               examine(9, "Junk", 6) + search_at(10, 5, " 5") +
                                               fetch(11, "5", fetch_reply(1, 5, probe_header())));
  expect_success(run);
  CHECK(b.wait->outcome().in_junk);
}

TEST_CASE("junk: without NOTIFY, a STATUS every poll_interval; a Junk that grew is looked into",
          "[imap][tasks][junk]") {
  Bench b("IMAP4rev1 UIDPLUS IDLE", true);
  const std::string courier =
      "* LIST (\\HasNoChildren) \".\" INBOX\r\n"
      "* LIST (\\HasNoChildren) \".\" INBOX.Spam\r\n";
  const Played run = play_machine(
      *b.wait, list(3, courier, false) + open(4, "INBOX.Spam", 5) + status(6, "INBOX.Spam", 5) +
                   search_at(7, 12, "") +
                   // The IDLE wakes after poll_interval for a STATUS; nothing new, so IDLE again.
                   Script{C("a8 IDLE\r\n"), S("+ idling\r\n"), Wait(), C("DONE\r\n"),
                          S("a8 OK Idle completed.\r\n")} +
                   status(9, "INBOX.Spam", 5) +
                   Script{C("a10 IDLE\r\n"), S("+ idling\r\n"), Wait(), C("DONE\r\n"),
                          S("a10 OK Idle completed.\r\n")} +
                   // Something came to Junk: not ours; back to INBOX, which is searched again.
                   status(11, "INBOX.Spam", 6) + examine(12, "INBOX.Spam", 6) +
                   search_at(13, 5, "") + select(14) + status(15, "INBOX.Spam", 6) +
                   search_at(16, 12, "") + idle_until(17, "* 4 EXISTS\r\n") +
                   search_at(18, 12, " 12") + fetch(19, "12", fetch_reply(4, 12, probe_header())));
  expect_success(run);
  const auto& o = b.wait->outcome();
  CHECK(o.junk == "INBOX.Spam");
  CHECK(o.junk_how == "name");
  CHECK_FALSE(o.junk_notify);
  CHECK_FALSE(o.in_junk);
  CHECK(o.found_in == "INBOX");
  // The wake-up of each IDLE is the poll interval, not the 28-minute renewal.
  for (const Action& a : run.actions)
    if (a.kind == Kind::read && a.wait.count() > 0) CHECK(a.wait == std::chrono::milliseconds(250));
}

TEST_CASE("junk: started after the send, Junk is searched before INBOX is opened",
          "[imap][tasks][junk]") {
  Bench b(kNotifyCaps, false);
  const Played run = play_machine(
      *b.wait, list(3, kDovecotList) +
                   Script{C(tag(4) + " EXAMINE \"Junk\"\r\n"),
                          S("* 7 EXISTS\r\n* OK [UIDNEXT 8] next\r\na4 OK [READ-ONLY] done\r\n")} +
                   search(5, " 7") + fetch(6, "7", fetch_reply(7, 7, probe_header())));
  expect_success(run);
  CHECK(b.wait->outcome().in_junk);
  CHECK(b.wait->outcome().detected_by == "search");
}

TEST_CASE("junk: what is refused", "[imap][tasks][junk]") {
  SECTION("a LIST refused: only INBOX is watched") {
    Bench b(kNotifyCaps, true);
    const Played run = play_machine(
        *b.wait, Script{C("a3 LIST \"\" \"*\" RETURN (SPECIAL-USE)\r\n"), S("a3 BAD no\r\n")} +
                     select(4) + search_at(5, 12, " 12") +
                     fetch(6, "12", fetch_reply(4, 12, probe_header())));
    expect_success(run);
    CHECK(b.wait->outcome().junk.empty());
    CHECK(transcript_has(*b.wait, TranscriptLine::Dir::note, "refused LIST"));
  }
  SECTION("NOTIFY refused: STATUS polls") {
    Bench b(kNotifyCaps, true);
    const Played run = play_machine(
        *b.wait,
        list(3, kDovecotList) + open(4, "Junk", 5) +
            Script{
                C(tag(6) + " NOTIFY SET (selected (MessageNew MessageExpunge)) (mailboxes \"Junk\" "
                           "(MessageNew MessageExpunge))\r\n"),
                S("a6 NO [NOTIFICATIONOVERFLOW] no\r\n")} +
            status(7, "Junk", 5) + search_at(8, 12, " 12") +
            fetch(9, "12", fetch_reply(4, 12, probe_header())));
    expect_success(run);
    CHECK_FALSE(b.wait->outcome().junk_notify);
    CHECK(transcript_has(*b.wait, TranscriptLine::Dir::note, "refused NOTIFY"));
  }
  SECTION("the file's junk_mailbox does not exist: rejected before the search") {
    Bench b("IMAP4rev1 UIDPLUS IDLE", true, "Bulk");
    const Played run =
        play_machine(*b.wait, list(3, "* LIST (\\HasNoChildren) \"/\" INBOX\r\n", false) +
                                  Script{C("a4 EXAMINE \"Bulk\"\r\n"),
                                         S("a4 NO [NONEXISTENT] Mailbox doesn't exist: Bulk\r\n")});
    expect_failure(run, mc::Reason::rejected, "select");
    CHECK(run.last.failure->message.find("junk_mailbox \"Bulk\" cannot be opened") !=
          std::string::npos);
    CHECK(b.wait->outcome().junk_how == "file");
  }
  SECTION("a Junk found by LIST that will not open is left unwatched") {
    Bench b("IMAP4rev1 UIDPLUS IDLE", true);
    const Played run = play_machine(
        *b.wait, list(3, kDovecotList, false) +
                     Script{C("a4 EXAMINE \"Junk\"\r\n"), S("a4 NO no\r\n")} + select(5) +
                     search_at(6, 12, " 12") + fetch(7, "12", fetch_reply(4, 12, probe_header())));
    expect_success(run);
    CHECK(b.wait->outcome().junk.empty());
  }
}

TEST_CASE("junk: mail that comes to Junk while INBOX is selected again is not lost",
          "[imap][tasks][junk]") {
  Bench b(kNotifyCaps, true);
  // Junk's EXISTS for it went by with the SELECT; the STATUS after the SELECT sees it.
  const Played run = play_machine(
      *b.wait, list(3, kDovecotList) + open(4, "Junk", 5) + notify(6) + status(7, "Junk", 5) +
                   search_at(8, 12, "") + idle_until(9, "* STATUS Junk (UIDNEXT 6)\r\n") +
                   examine(10, "Junk", 6) + search_at(11, 5, "") +
                   Script{C("a12 SELECT \"INBOX\"\r\n"),
                          S("* 2 EXISTS\r\n* 3 EXISTS\r\n* OK [UIDVALIDITY " + kUidValidity +
                            "] ok\r\n* OK [UIDNEXT 12] next\r\na12 OK [READ-WRITE] done\r\n")} +
                   status(13, "Junk", 7) + search_at(14, 12, "") + examine(15, "Junk", 7) +
                   search_at(16, 5, " 6") + fetch(17, "6", fetch_reply(2, 6, probe_header())));
  expect_success(run);
  CHECK(b.wait->outcome().in_junk);
}

TEST_CASE("junk: news in INBOX and in Junk at once: INBOX is searched first",
          "[imap][tasks][junk]") {
  Bench b(kNotifyCaps, true);
  const Played run = play_machine(
      *b.wait, list(3, kDovecotList) + open(4, "Junk", 5) + notify(6) + status(7, "Junk", 5) +
                   search_at(8, 12, "") +
                   idle_until(9, "* STATUS Junk (UIDNEXT 6)\r\n* 4 EXISTS\r\n") +
                   search_at(10, 12, " 12") + fetch(11, "12", fetch_reply(4, 12, probe_header())));
  expect_success(run);
  CHECK_FALSE(b.wait->outcome().in_junk);
  CHECK(b.wait->outcome().detected_by == "idle");
}
