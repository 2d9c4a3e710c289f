// imap.wait's Wait task with IDLE (RFC 2177) on a logged-in Link: an EXISTS starts the search at
// once, keep-alives change nothing, the renewal searches and idles again, an EXISTS at any point
// of the exchange is not lost, and without IDLE (or when the server refuses it) a NOOP before
// each search. The test plays the server and checks every byte; no sockets, no clocks.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "tests/unit/imap_dialogue.hpp"

using namespace imap_dialogue;
namespace imap = mc::proto::imap;

namespace {

// A logged-in link with IDLE, and a Wait on it with `idle` as given.
struct IdleBench {
  imap::Link link{link_config()};
  std::unique_ptr<imap::Wait> wait;
  explicit IdleBench(bool idle = true) {
    log_in(link, "IMAP4rev1 UIDPLUS IDLE");
    imap::WaitConfig cfg{"INBOX", kToken, std::chrono::milliseconds(250)};
    cfg.idle = idle;
    wait = std::make_unique<imap::Wait>(link, cfg);
  }
};

std::string found(int n) {
  return fetch_reply(n, 7, probe_header());
}

}  // namespace

TEST_CASE("wait: IDLE until an EXISTS, which starts the search at once", "[imap][tasks][idle]") {
  IdleBench b;
  const Played run =
      play_machine(*b.wait, select(3) + search(4, "") + idle_until(5, "* 4 EXISTS\r\n") +
                                search(6, " 7") + fetch(7, "7", found(4)));
  expect_success(run);
  CHECK(b.wait->outcome().detected_by == "idle");
  CHECK(b.wait->outcome().at_idle_end);
  CHECK(b.wait->outcome().idles == 1);
  // After "+ idling" the IDLE is one long read in phase "idle", renewed before 29 minutes.
  bool listened = false;
  for (const Action& a : run.actions) {
    if (a.kind != Kind::read || a.wait.count() == 0) continue;
    listened = true;
    CHECK(a.phase == "idle");
    CHECK(a.wait == std::chrono::minutes(28));
  }
  CHECK(listened);
  CHECK(transcript_has(*b.wait, TranscriptLine::Dir::client, "DONE"));
}

TEST_CASE("wait: keep-alives during IDLE change nothing; the renewal searches and idles again",
          "[imap][tasks][idle]") {
  IdleBench b;
  const Script script = select(3) + search(4, "") + Script{C("a5 IDLE\r\n"),
                                                           S("+ idling\r\n"),
                                                           S("* OK Still here\r\n"),
                                                           S("* OK Still here\r\n"),
                                                           Wait(),
                                                           C("DONE\r\n"),
                                                           S("a5 OK Idle completed.\r\n")} +
                        search(6, "") + idle_until(7, "* 5 EXISTS\r\n") + search(8, " 7") +
                        fetch(9, "7", found(5));
  const Played run = play_machine(*b.wait, script);
  expect_success(run);
  CHECK(b.wait->outcome().idles == 2);
  CHECK(b.wait->outcome().searches == 3);
  CHECK(b.wait->outcome().detected_by == "idle");
}

TEST_CASE("wait: an EXISTS with a search's answer searches again before any IDLE",
          "[imap][tasks][idle]") {
  IdleBench b;
  // The search ran just before the delivery; the server tells of it with its answer.
  const Played run = play_machine(
      *b.wait, select(3) +
                   Script{C(search_line(4)), S("* SEARCH\r\n* 4 EXISTS\r\na4 OK done\r\n")} +
                   search(5, " 7") + fetch(6, "7", found(4)));
  expect_success(run);
  CHECK(b.wait->outcome().idles == 0);
  CHECK(b.wait->outcome().detected_by == "idle");
  CHECK_FALSE(b.wait->outcome().at_idle_end);
}

TEST_CASE("wait: an EXISTS before the IDLE's continuation ends it as soon as it begins",
          "[imap][tasks][idle]") {
  IdleBench b;
  const Played run =
      play_machine(*b.wait, select(3) + search(4, "") +
                                Script{C("a5 IDLE\r\n"), S("* 4 EXISTS\r\n+ idling\r\n"),
                                       C("DONE\r\n"), S("a5 OK Idle completed.\r\n")} +
                                search(6, " 7") + fetch(7, "7", found(4)));
  expect_success(run);
  CHECK(b.wait->outcome().detected_by == "idle");
}

TEST_CASE("wait: idle false, or an IDLE the server refuses, polls with a NOOP before each search",
          "[imap][tasks][idle]") {
  SECTION("idle false") {
    IdleBench b(false);
    const Played run = play_machine(*b.wait, select(3) + search(4, "") + Script{Wait()} + noop(5) +
                                                 search(6, " 7") + fetch(7, "7", found(4)));
    expect_success(run);
    CHECK(b.wait->outcome().idles == 0);
    CHECK(b.wait->outcome().detected_by == "poll");
  }
  SECTION("refused") {
    IdleBench b;
    const Played run = play_machine(
        *b.wait, select(3) + search(4, "") +
                     Script{C("a5 IDLE\r\n"), S("a5 NO IDLE not allowed here\r\n"), Wait()} +
                     noop(6) + search(7, " 7") + fetch(8, "7", found(4)));
    expect_success(run);
    CHECK(b.wait->outcome().detected_by == "poll");
    CHECK(transcript_has(*b.wait, TranscriptLine::Dir::note, "refused IDLE"));
  }
  SECTION("a NOOP refused: polled without it from then on") {
    IdleBench b(false);
    const Played run = play_machine(
        *b.wait, select(3) + search(4, "") +
                     Script{Wait(), C("a5 NOOP\r\n"), S("a5 BAD unknown\r\n")} + search(6, "") +
                     Script{Wait()} + search(7, " 7") + fetch(8, "7", found(4)));
    expect_success(run);
    CHECK(b.wait->outcome().detected_by == "poll");
    CHECK(transcript_has(*b.wait, TranscriptLine::Dir::note, "refused NOOP"));
  }
  SECTION("there already") {
    IdleBench b;
    const Played run = play_machine(*b.wait, select(3) + search(4, " 7") + fetch(5, "7", found(3)));
    expect_success(run);
    CHECK(b.wait->outcome().detected_by == "search");
  }
}
