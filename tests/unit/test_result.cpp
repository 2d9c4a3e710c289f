// The run model's status arithmetic and reply formatting.
#include <catch2/catch.hpp>

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
