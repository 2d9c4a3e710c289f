// The IMAP client's deletion safety from scripted dialogues: remove touches only the probes this
// scenario sent, never expunges anyone else's \Deleted mail, and stores nothing when UIDVALIDITY
// changed; find_only keeps the probe; and the check mode reads the newest headers.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/unit/imap_dialogue.hpp"

using namespace imap_dialogue;

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

// The UID SEARCH DELETED asked again right before the EXPUNGE; `deleted` is its answer.
Script recheck_deleted(int n, const std::string& deleted) {
  return {C(tag(n) + " UID SEARCH DELETED\r\n"),
          S("* SEARCH" + deleted + "\r\n" + tag(n) + " OK Search completed.\r\n")};
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
                 recheck_deleted(8, " 3 5 7") +
                 Script{C("a9 EXPUNGE\r\n"), S("* 3 EXPUNGE\r\na9 OK Expunge completed.\r\n")} +
                 logout(10));
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
  const Run run = play(
      cfg, remove_plain_script(deleted) + fetch_deleted(7, "1000:1099", first_batch) +
               fetch_deleted(8, "1100", token_fields(1, 1100, kEarlierToken)) +
               recheck_deleted(9, deleted) +
               Script{C("a10 EXPUNGE\r\n"), S("* 3 EXPUNGE\r\na10 OK Expunge completed.\r\n")} +
               logout(11));
  expect_success(run);
  CHECK_FALSE(run.client->outcome().expunge_skipped);
  CHECK(run.client->outcome().deleted_uids == std::vector<std::uint32_t>{7});
}

TEST_CASE(
    "remove without UIDPLUS: a message flagged while the others were checked stops the "
    "EXPUNGE",
    "[imap]") {
  Config cfg = remove_config();
  cfg.own_tokens = {kEarlierToken};
  const Run run = play(cfg, remove_plain_script(" 3 7") +
                                fetch_deleted(7, "3", token_fields(1, 3, kEarlierToken)) +
                                recheck_deleted(8, " 3 4 7") + logout(9));
  expect_success(run);
  for (const std::string& w : run.writes) CHECK(w != "a9 EXPUNGE\r\n");
  CHECK(run.client->outcome().expunge_skipped);
  CHECK(run.client->outcome().also_expunged.empty());
  CHECK(transcript_has(*run.client, TranscriptLine::Dir::note, "UIDs 4)"));
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
