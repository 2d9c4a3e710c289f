// The IMAP task machines one after another on one Link, as the steps of a scenario share one
// session: one LOGIN, tags that go on, capabilities and bytes read ahead carried from task to
// task; imap.check's LIST, SELECT and FETCH of each mailbox; and tasks that must not run. The
// test plays the server and checks every byte; no sockets, no clocks.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/imap_dialogue.hpp"

using namespace imap_dialogue;
namespace imap = mc::proto::imap;

namespace {

std::string tag_of(const std::string& write) {
  return write.substr(0, write.find(' '));
}

// The secret is written once, in the LOGIN, and readable nowhere: not in the link's transcript,
// nor in any action's phase or failure.
void expect_secret_kept(const imap::Link& link, const std::vector<const Played*>& runs) {
  expect_no_secret(link.transcript(), Action::finish(), kUser, kSentinel);
  for (const Played* run : runs) {
    expect_no_secret(link.transcript(), run->last, kUser, kSentinel);
    for (const Action& a : run->actions) {
      CHECK(a.phase.find(kSentinel) == std::string::npos);
      if (a.kind == Kind::write && a.data.find(kSentinel) != std::string::npos) {
        CHECK(a.data.find(" LOGIN ") != std::string::npos);
      }
      if (!a.failure) continue;
      CHECK(a.failure->message.find(kSentinel) == std::string::npos);
      if (a.failure->reply) {
        CHECK(a.failure->reply->text.find(kSentinel) == std::string::npos);
        CHECK(a.failure->reply->status.find(kSentinel) == std::string::npos);
      }
    }
  }
}

std::string check_fetch_line(int n, const std::string& range) {
  return tag(n) + " FETCH " + range +
         " (UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT)])\r\n";
}

std::string newest_reply(int seq, int uid) {
  const std::string fields = "Date: Mon, 23 Nov 2026 12:00:00 +0000\r\nSubject: hi\r\n\r\n";
  return "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(uid) +
         " FLAGS (\\Seen) BODY[HEADER.FIELDS (DATE FROM SUBJECT)] {" +
         std::to_string(fields.size()) + "}\r\n" + fields + ")\r\n";
}

Script select_named(int n, const std::string& mailbox, int exists) {
  return {C(tag(n) + " SELECT \"" + mailbox + "\"\r\n"),
          S("* " + std::to_string(exists) + " EXISTS\r\n* OK [UIDVALIDITY " + kUidValidity +
            "] UIDs valid\r\n" + tag(n) + " OK [READ-WRITE] Select completed.\r\n")};
}

}  // namespace

// ---- One session for the steps of a scenario -------------------------------------------------

TEST_CASE("tasks: Login, Wait, Delete, Logout on one link log in once and go on with the tags",
          "[imap][tasks]") {
  imap::Link link(link_config());
  imap::Login signin(link);
  // UIDPLUS only after login: Delete's UID EXPUNGE proves the link kept what Login learned.
  const Played in = play_machine(
      signin, login_script("IMAP4rev1", "a2 OK [CAPABILITY IMAP4rev1 UIDPLUS IDLE] Logged in\r\n"));
  expect_success(in);
  CHECK(link.authenticated());
  CHECK(link.tls());
  CHECK(link.capabilities() == std::vector<std::string>{"IMAP4REV1", "UIDPLUS", "IDLE"});
  CHECK(write_phases(in) == std::vector<std::string>{"capability", "login"});

  imap::Wait wait(link, {"INBOX", kToken, std::chrono::milliseconds(250)});
  const Played waited = play_machine(
      wait,
      select(3) + search(4, "") + idle_until(5, "* 4 EXISTS\r\n") + search(6, " 7 9") +
          fetch(7, "7,9", fetch_reply(1, 7, probe_header()) + fetch_reply(2, 9, probe_header())));
  expect_success(waited);
  CHECK(wait.outcome().found_uids == std::vector<std::uint32_t>{7, 9});
  CHECK(wait.outcome().uidvalidity == 1700000000);
  CHECK(wait.outcome().searches == 2);
  CHECK(wait.outcome().idles == 1);
  CHECK(wait.outcome().detected_by == "idle");
  CHECK(wait.outcome().at_idle_end);
  CHECK(wait.outcome().headers == probe_header());
  CHECK(write_phases(waited) ==
        std::vector<std::string>{"select", "search", "idle", "search", "search", "fetch"});
  CHECK(link.selected() == "INBOX");
  CHECK(link.usable());

  imap::DeleteConfig dc;
  dc.token = kToken;
  dc.uids = wait.outcome().found_uids;
  dc.uidvalidity = wait.outcome().uidvalidity;
  imap::Delete remove(link, dc);
  const Played removed = play_machine(
      remove, select(8) + search(9, " 7 9 12") +
                  Script{C("a10 UID STORE 7,9 +FLAGS.SILENT (\\Deleted)\r\n"),
                         S("a10 OK Store completed.\r\n"), C("a11 UID EXPUNGE 7,9\r\n"),
                         S("* 3 EXPUNGE\r\n* 2 EXPUNGE\r\na11 OK Expunged.\r\n")});
  expect_success(removed);
  CHECK(remove.outcome().deleted_uids == std::vector<std::uint32_t>{7, 9});
  CHECK(remove.outcome().uidvalidity == 1700000000);
  CHECK_FALSE(remove.outcome().expunge_skipped);
  CHECK(transcript_has(remove, TranscriptLine::Dir::note, "UIDs 12 that imap.wait did not report"));

  imap::Logout out(link);
  const Played bye = play_machine(out, logout(12));
  expect_success(bye);
  CHECK_FALSE(link.usable());
  CHECK_FALSE(link.authenticated());

  std::vector<std::string> writes;
  for (const Played* run : {&in, &waited, &removed, &bye})
    writes.insert(writes.end(), run->writes.begin(), run->writes.end());
  std::vector<std::string> tags;
  int logins = 0;
  for (const std::string& w : writes) {
    tags.push_back(tag_of(w));
    if (w.find(" LOGIN ") != std::string::npos) ++logins;
  }
  CHECK(logins == 1);
  // DONE ends the IDLE: it is no command of its own.
  CHECK(tags == std::vector<std::string>{"a1", "a2", "a3", "a4", "a5", "DONE\r\n", "a6", "a7", "a8",
                                         "a9", "a10", "a11", "a12"});
  // Every task records into the one transcript of the link.
  CHECK(&wait.transcript() == &link.transcript());
  CHECK(&remove.transcript() == &link.transcript());
  CHECK(transcript_has(out, TranscriptLine::Dir::client, "a2 LOGIN <redacted> <redacted>"));
  expect_secret_kept(link, {&in, &waited, &removed, &bye});
}

TEST_CASE("tasks: bytes the server sent ahead are kept by the link and read by the next task",
          "[imap][tasks]") {
  SECTION("an untagged EXISTS in the same read as the tagged OK") {
    imap::Link link(link_config());
    log_in(link, "IMAP4rev1", "* 3 EXISTS\r\n");
    CHECK(link.buffered() == std::string("* 3 EXISTS\r\n").size());
    const std::size_t lines = link.transcript().lines().size();

    imap::Wait wait(link, {"INBOX", kToken, std::chrono::milliseconds(250)});
    Played run = play_machine(wait, {C("a3 SELECT \"INBOX\"\r\n")});
    // Read after the SELECT went out, before anything more came.
    CHECK(read_phase(run) == "select");
    CHECK(link.buffered() == 0);
    const auto& all = link.transcript().lines();
    REQUIRE(all.size() == lines + 2);
    CHECK(all[lines].dir == TranscriptLine::Dir::client);
    CHECK(all[lines].text == "a3 SELECT \"INBOX\"");
    CHECK(all[lines + 1].dir == TranscriptLine::Dir::server);
    CHECK(all[lines + 1].text == "* 3 EXISTS");
    play_turns(run,
               Script{S("* 3 EXISTS\r\n* OK [UIDVALIDITY 1700000000] ok\r\na3 OK selected\r\n")} +
                   search(4, " 7") + fetch(5, "7", fetch_reply(3, 7, probe_header())),
               Feed::whole, std::chrono::milliseconds(250));
    expect_success(run);
    CHECK(wait.outcome().found_uids == std::vector<std::uint32_t>{7});
  }
  SECTION("half a line: the next task reads the rest of it") {
    imap::Link link(link_config());
    log_in(link, "IMAP4rev1", "* 4 EXI");
    CHECK(link.buffered() == 7);
    imap::CheckConfig cc;
    cc.fetch = 2;
    imap::Check check(link, cc);
    const Played run = play_machine(
        check, Script{C("a3 LIST \"\" \"*\"\r\n"),
                      S("STS\r\n* LIST (\\HasNoChildren) \"/\" INBOX\r\na3 OK List done\r\n")} +
                   select_named(4, "INBOX", 6) +
                   Script{C(check_fetch_line(5, "5:6")),
                          S(newest_reply(5, 50) + newest_reply(6, 60) + "a5 OK Fetch done\r\n")});
    expect_success(run);
    CHECK(transcript_has(check, TranscriptLine::Dir::server, "* 4 EXISTS"));
    REQUIRE(check.outcome().mailboxes.size() == 1);
    CHECK(check.outcome().mailboxes[0].exists == 6);  // SELECT's own count, not the one ahead
    CHECK(check.outcome().mailboxes[0].fetched == 2);
  }
}

// ---- imap.check --------------------------------------------------------------------------------

TEST_CASE("check: LIST once, then SELECT and FETCH the newest headers of each mailbox",
          "[imap][tasks]") {
  imap::Link link(link_config());
  log_in(link);
  imap::CheckConfig cc;
  cc.mailboxes = {"INBOX", "Archive", "Empty"};
  imap::Check check(link, cc);
  const std::string archive = "Archive";
  const Played run = play_machine(
      check,
      Script{C("a3 LIST \"\" \"*\"\r\n"),
             S("* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
               "* LIST (\\HasNoChildren \\Archive) \"/\" \"Archive\"\r\n"
               "* LIST () NIL {5}\r\nEmpty\r\n"
               "* LIST (\\Sent) \"/\" \"Sent \\\"old\\\"\"\r\n"
               "a3 OK List completed.\r\n")} +
          select_named(4, "INBOX", 12) +
          Script{C(check_fetch_line(5, "3:12")),
                 S(newest_reply(11, 110) + newest_reply(12, 120) + "a5 OK Fetch completed.\r\n")} +
          select_named(6, archive, 4) +
          Script{C(check_fetch_line(7, "1:4")),
                 S(newest_reply(1, 10) + newest_reply(2, 20) + newest_reply(3, 30) +
                   newest_reply(4, 40) + "* 9 FETCH (FLAGS (\\Seen))\r\na7 OK done\r\n")} +
          select_named(8, "Empty", 0));
  expect_success(run);
  CHECK(write_phases(run) == std::vector<std::string>{"list", "select:INBOX", "fetch:INBOX",
                                                      "select:Archive", "fetch:Archive",
                                                      "select:Empty"});
  const imap::CheckOutcome& out = check.outcome();
  CHECK(out.listed == std::vector<std::string>{"INBOX", "Archive", "Empty", "Sent \"old\""});
  REQUIRE(out.mailboxes.size() == 3);
  CHECK(out.mailboxes[0].name == "INBOX");
  CHECK(out.mailboxes[0].exists == 12);
  CHECK(out.mailboxes[0].fetched == 2);
  CHECK(out.mailboxes[1].name == "Archive");
  CHECK(out.mailboxes[1].exists == 4);
  CHECK(out.mailboxes[1].fetched == 4);  // the flag update of message 9 was not asked for
  CHECK(out.mailboxes[2].name == "Empty");
  CHECK(out.mailboxes[2].exists == 0);
  CHECK(out.mailboxes[2].fetched == 0);
  CHECK(link.selected() == "Empty");
  CHECK(link.usable());
  expect_secret_kept(link, {&run});
}

TEST_CASE("check: how many of the newest are fetched", "[imap][tasks]") {
  SECTION("fetch 3 of 12: the last three sequence numbers") {
    imap::Link link(link_config());
    log_in(link);
    imap::Check check(link, {{"INBOX"}, 3});
    const Played run =
        play_machine(check, Script{C("a3 LIST \"\" \"*\"\r\n"), S("a3 OK nothing listed\r\n")} +
                                select_named(4, "INBOX", 12) +
                                Script{C(check_fetch_line(5, "10:12")), S("a5 OK done\r\n")});
    expect_success(run);
    CHECK(check.outcome().listed.empty());
    CHECK(check.outcome().mailboxes.at(0).fetched == 0);
  }
  SECTION("fetch 0: SELECT only") {
    imap::Link link(link_config());
    log_in(link);
    imap::Check check(link, {{"INBOX"}, 0});
    const Played run =
        play_machine(check, Script{C("a3 LIST \"\" \"*\"\r\n"), S("a3 OK done\r\n")} +
                                select_named(4, "INBOX", 12));
    expect_success(run);
    CHECK_FALSE(wrote(run, "FETCH"));
  }
}

TEST_CASE("check: a mailbox the server refuses to SELECT is rejected, and the rest not opened",
          "[imap][tasks]") {
  imap::Link link(link_config());
  log_in(link);
  imap::Check check(link, {{"INBOX", "Missing", "Archive"}, 10});
  const Played run = play_machine(
      check,
      Script{C("a3 LIST \"\" \"*\"\r\n"),
             S("* LIST () \"/\" INBOX\r\n* LIST () \"/\" Archive\r\na3 OK\r\n")} +
          select_named(4, "INBOX", 0) +
          Script{C("a5 SELECT \"Missing\"\r\n"),
                 S("a5 NO [NONEXISTENT] Mailbox doesn't exist: Missing " + kSentinel + "\r\n")});
  expect_failure(run, Reason::rejected, "select:Missing");
  CHECK(run.last.failure->message.find("\"Missing\"") != std::string::npos);
  REQUIRE(run.last.failure->reply);
  CHECK(run.last.failure->reply->status == "NO");
  CHECK(run.last.failure->reply->enhanced == "NONEXISTENT");
  CHECK(run.last.failure->reply->text == "Mailbox doesn't exist: Missing <redacted>");
  CHECK_FALSE(wrote(run, "Archive"));
  CHECK(check.outcome().mailboxes.size() == 1);
  CHECK(link.selected().empty());
  CHECK_FALSE(link.usable());  // a failed task leaves the link to no one
  expect_secret_kept(link, {&run});
}

TEST_CASE("check: a malformed LIST response is a protocol failure", "[imap][tasks]") {
  imap::Link link(link_config());
  log_in(link);
  imap::Check check(link, {});
  const Played run =
      play_machine(check, {C("a3 LIST \"\" \"*\"\r\n"), S("* LIST (\\Noselect \"/\" INBOX\r\n")});
  expect_failure(run, Reason::protocol, "list");
}

// ---- Tasks that must not run ------------------------------------------------------------------

TEST_CASE("tasks on a link that is not logged in fail as internal and send nothing",
          "[imap][tasks]") {
  imap::Link link(link_config());
  imap::Wait wait(link, {"INBOX", kToken, std::chrono::milliseconds(250)});
  imap::DeleteConfig dc;
  dc.token = kToken;
  dc.uids = {7};
  imap::Delete remove(link, dc);
  imap::Check check(link, {});
  imap::Logout out(link);
  const std::vector<std::pair<Machine*, std::string>> tasks = {
      {&wait, "select"}, {&remove, "select"}, {&check, "list"}, {&out, "logout"}};
  for (const auto& [task, phase] : tasks) {
    const Played run = play_machine(*task, {});
    expect_failure(run, Reason::internal, phase);
    CHECK(run.actions.size() == 1);
    CHECK(run.writes.empty());
    CHECK(run.last.failure->message.find("not logged in") != std::string::npos);
  }
  // None of them took the link: a Login may still use it.
  CHECK(link.usable());
  imap::Login signin(link);
  expect_success(play_machine(signin, login_script("IMAP4rev1", "a2 OK Logged in\r\n")));
  expect_secret_kept(link, {});
}

TEST_CASE("tasks on a link that is not usable fail as internal and send nothing", "[imap][tasks]") {
  SECTION("after a failed task") {
    imap::Link link(link_config());
    log_in(link);
    imap::Wait first(link, {"INBOX", kToken, std::chrono::milliseconds(250)});
    expect_failure(play_machine(first, {C("a3 SELECT \"INBOX\"\r\n"), S("a3 BAD what\r\n")}),
                   Reason::protocol, "select");
    imap::Check check(link, {});
    const Played run = play_machine(check, {});
    expect_failure(run, Reason::internal, "list");
    CHECK(run.writes.empty());
  }
  SECTION("after LOGOUT") {
    imap::Link link(link_config());
    log_in(link);
    imap::Logout out(link);
    expect_success(play_machine(out, logout(3)));
    imap::Wait wait(link, {"INBOX", kToken, std::chrono::milliseconds(250)});
    const Played run = play_machine(wait, {});
    expect_failure(run, Reason::internal, "select");
    CHECK(run.writes.empty());
  }
  SECTION("while another task is still running on it") {
    imap::Link link(link_config());
    log_in(link);
    imap::Wait wait(link, {"INBOX", kToken, std::chrono::milliseconds(250)});
    const Played running = play_machine(wait, {C("a3 SELECT \"INBOX\"\r\n")});
    CHECK(read_phase(running) == "select");
    imap::Check check(link, {});
    const Played run = play_machine(check, {});
    expect_failure(run, Reason::internal, "list");
    CHECK(run.writes.empty());
  }
  SECTION("a second Login on a used link") {
    imap::Link link(link_config());
    log_in(link);
    imap::Login again(link);
    const Played run = play_machine(again, {});
    expect_failure(run, Reason::internal, "greeting");
    CHECK(run.writes.empty());
    CHECK(link.usable());
  }
}

TEST_CASE("Wait and Delete without a token fail as internal before sending anything",
          "[imap][tasks]") {
  imap::Link link(link_config());
  log_in(link);
  imap::Wait wait(link, {"INBOX", "", std::chrono::milliseconds(250)});
  const Played waited = play_machine(wait, {});
  expect_failure(waited, Reason::internal, "select");
  CHECK(waited.writes.empty());

  imap::Link other(link_config());
  log_in(other);
  imap::Delete remove(other, {});
  const Played removed = play_machine(remove, {});
  expect_failure(removed, Reason::internal, "select");
  CHECK(removed.writes.empty());
}

TEST_CASE("Delete compares the UIDVALIDITY it was given with this session's SELECT",
          "[imap][tasks]") {
  imap::Link link(link_config());
  log_in(link);
  imap::DeleteConfig dc;
  dc.token = kToken;
  dc.uids = {7};
  dc.uidvalidity = 1600000000;
  imap::Delete remove(link, dc);
  const Played run = play_machine(remove, select(3));
  expect_failure(run, Reason::protocol, "select");
  CHECK(run.last.failure->message.find("nothing deleted") != std::string::npos);
  CHECK_FALSE(wrote(run, "STORE"));
}

TEST_CASE("Delete find_only never flags, even with the UIDs of imap.wait given", "[imap][tasks]") {
  imap::Link link(link_config());
  log_in(link);
  imap::DeleteConfig dc;
  dc.token = kToken;
  dc.uids = {7};
  dc.uidvalidity = 1700000000;
  dc.find_only = true;
  imap::Delete remove(link, dc);
  const Played run = play_machine(remove, select(3) + search(4, " 7"));
  expect_success(run);
  CHECK_FALSE(wrote(run, "STORE"));
  CHECK_FALSE(wrote(run, "EXPUNGE"));
  CHECK(remove.outcome().deleted_uids.empty());
  CHECK(transcript_has(remove, TranscriptLine::Dir::note, "find_only: UIDs 7 found"));
  CHECK(link.usable());
}
