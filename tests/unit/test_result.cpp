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
