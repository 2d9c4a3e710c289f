// The run model's status arithmetic and reply formatting.
#include <catch2/catch.hpp>

#include "codec/time.hpp"
#include "results/result.hpp"

using mc::Status;

TEST_CASE("worst: critical outranks unknown, which outranks warning and ok", "[result]") {
  CHECK(mc::worst(Status::ok, Status::warning) == Status::warning);
  CHECK(mc::worst(Status::warning, Status::unknown) == Status::unknown);
  CHECK(mc::worst(Status::unknown, Status::critical) == Status::critical);
  CHECK(mc::worst(Status::critical, Status::unknown) == Status::critical);
  CHECK(mc::exit_code(Status::unknown) == 3);
  CHECK(mc::exit_code(Status::critical) == 2);
}

TEST_CASE("reply_text: SMTP code and enhanced code, IMAP status and response code", "[result]") {
  CHECK(mc::reply_text({535, "5.7.8", "Error: authentication failed", ""}) ==
        "535 5.7.8 Error: authentication failed");
  CHECK(mc::reply_text({0, "AUTHENTICATIONFAILED", "Authentication failed.", "NO"}) ==
        "NO [AUTHENTICATIONFAILED] Authentication failed.");
  CHECK(mc::reply_text({421, "", "", ""}) == "421");
}

TEST_CASE("failure_place names step and phase, or the phase alone when no step owns it",
          "[result]") {
  mc::ScenarioResult sc;
  CHECK(mc::failure_place(sc).empty());
  sc.failure = mc::ScenarioFailure{"smtp.send",
                                   mc::Failure{mc::Reason::timeout, "banner", "", std::nullopt}};
  CHECK(mc::failure_place(sc) == "smtp.send/banner");
  CHECK(mc::failure_place(sc, " / ") == "smtp.send / banner");
  sc.failure = mc::ScenarioFailure{
      "", mc::Failure{mc::Reason::timeout, "queued", "never started", std::nullopt}};
  CHECK(mc::failure_place(sc) == "queued");
}

TEST_CASE("format_duration writes what parse_duration reads, long odd durations included",
          "[result]") {
  using std::chrono::milliseconds;
  for (const long long ms : {1LL, 250LL, 1'000LL, 90'000LL, 120'000LL, 3'600'000LL, 999'999'999LL,
                             1'000'800'001LL, 31'535'999'999LL}) {
    const std::string text = mc::format_duration(milliseconds(ms));
    INFO(ms << " -> " << text);
    milliseconds back{};
    REQUIRE(mc::parse_duration(text, back));
    CHECK(back.count() == ms);
  }
  CHECK(mc::format_duration(milliseconds(1'000'800'001)) == "278h1ms");
  CHECK(mc::format_duration(milliseconds(90'000)) == "90s");
}

TEST_CASE("to_json: a step's details are its members, with their JSON types", "[result]") {
  mc::RunResult run;
  mc::ScenarioResult sc;
  mc::StepResult send;
  send.step = "smtp.send";
  send.add_detail("queue_id", "72DC6A72182", "queue id 72DC6A72182", /*summary=*/true);
  mc::StepResult wait;
  wait.step = "imap.wait";
  wait.add_detail("uids", std::vector<std::uint32_t>{4711, 4712}, "uids 4711 4712");
  wait.add_detail("searches", 3, "3 searches");
  mc::StepResult del;
  del.step = "imap.delete";
  del.add_detail("expunge_skipped", true,
                 "expunge skipped: other messages in the mailbox are flagged \\Deleted");
  mc::StepResult bare;
  bare.step = "imap.delete";
  sc.steps = {send, wait, del, bare};
  run.scenarios = {sc};
  const auto steps = mc::to_json(run)["scenarios"][0]["steps"];
  CHECK(steps[0]["queue_id"] == "72DC6A72182");
  CHECK(steps[1]["uids"] == nlohmann::json::array({4711, 4712}));
  CHECK(steps[1]["uids"][0].is_number_unsigned());
  CHECK(steps[1]["searches"].is_number_integer());
  CHECK(steps[1]["searches"] == 3);
  CHECK(steps[2]["expunge_skipped"] == true);
  // A step without details has none of these members; texts and notes are not in the document.
  for (const char* key : {"queue_id", "uids", "searches", "expunge_skipped", "note"})
    CHECK_FALSE(steps[3].contains(key));
  CHECK(steps[0].size() == 6);  // step, status, start_s, duration_s, phases and queue_id
}
