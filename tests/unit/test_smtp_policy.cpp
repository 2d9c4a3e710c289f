// Policy probes' code patterns and the greylisting detector, on replies real servers give:
// Postgrey, milter-greylist, rspamd, sqlgrey, Exim configurations, OpenBSD spamd, Microsoft 365,
// and the temporary failures that are no greylisting (Postfix lookups, Gmail and Yahoo limits).
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "protocols/smtp.hpp"
#include "protocols/smtp/policy.hpp"

using namespace mc::proto;
using namespace mc::proto::smtp;
using std::chrono::seconds;

namespace {

// The reply as ReplyParser makes it of the wire's line.
ServerReply parsed(const std::string& line) {
  ReplyParser p;
  REQUIRE(p.add_line(line) == ReplyParser::Status::complete);
  return p.reply();
}

struct Sample {
  const char* from;
  std::string line;
  bool greylisting;
  std::optional<seconds> delay;
};

const std::vector<Sample>& samples() {
  static const std::vector<Sample> s = {
      {"Postgrey (default text)",
       "450 4.2.0 <probe@example.test>: Recipient address rejected: Greylisted, see "
       "http://postgrey.schweikert.ch/help/example.test.html",
       true, std::nullopt},
      {"Postgrey (--greylist-text with %s)",
       "450 4.2.0 <probe@example.org>: Recipient address rejected: Greylisted for 300 seconds "
       "(see http://isg.ee.ethz.ch/tools/postgrey/help/example.org.html)",
       true, seconds(300)},
      {"milter-greylist", "451 4.7.1 Greylisting in action, please come back in 00:05:00", true,
       seconds(300)},
      {"rspamd greylist module", "451 4.7.1 Try again later", true, std::nullopt},
      {"sqlgrey", "450 4.7.1 Greylisted for 5 minutes (1)", true, seconds(300)},
      {"Exim with greylistd", "451 Greylisted - please try again in 10 minutes", true,
       seconds(600)},
      {"Exim, retry wording", "451 4.7.1 Greylisted, please retry in 120 secs", true, seconds(120)},
      {"OpenBSD spamd", "451 Temporary failure, please try again later.", true, std::nullopt},
      {"Microsoft 365 throttling",
       "451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (S77714) "
       "[DB5EUR03FT045.eop-EUR03.prod.protection.outlook.com]",
       true, std::nullopt},
      {"Postfix check_policy_service DEFER_IF_PERMIT (the e2e policy server)",
       "450 4.7.1 <probe@example.test>: Recipient address rejected: Greylisted, try again in 2 "
       "seconds",
       true, seconds(2)},
      {"enhanced code 4.7.1 alone: Postfix reject_unknown_client_hostname (temporary)",
       "450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.7]", true,
       std::nullopt},
      {"Postfix temporary lookup failure",
       "451 4.3.0 <probe@example.test>: Temporary lookup "
       "failure",
       false, std::nullopt},
      {"Postfix unknown sender domain (temporary)",
       "450 4.1.8 <x@nonexistent.test>: Sender address rejected: Domain not found", false,
       std::nullopt},
      {"a full mailbox is 452, not a greylisting", "452 4.2.2 Mailbox full, try again later", false,
       std::nullopt},
      {"Gmail's rate limit at connect is 421",
       "421 4.7.28 Our system has detected an unusual rate of unsolicited mail, try again later",
       false, std::nullopt},
      {"Yahoo's deferral is 421",
       "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to user complaints - "
       "4.16.55.1",
       false, std::nullopt},
      {"a permanent refusal never is one", "550 5.7.1 Greylisted forever", false, std::nullopt},
  };
  return s;
}

}  // namespace

TEST_CASE("greylisting replies of real servers are recognised, with the delay they name",
          "[smtp][policy]") {
  for (const Sample& s : samples()) {
    INFO(s.from << ": " << s.line);
    const auto g = greylisting(parsed(s.line));
    CHECK(g.has_value() == s.greylisting);
    if (g) CHECK(g->delay == s.delay);
  }
}

TEST_CASE("named_delay reads seconds, minutes, hours and clock times, never codes or addresses",
          "[smtp][policy]") {
  CHECK(named_delay("try again in 2 seconds") == seconds(2));
  CHECK(named_delay("wait 300s") == seconds(300));
  CHECK(named_delay("wait 1 sec") == seconds(1));
  CHECK(named_delay("for 5 min") == seconds(300));
  CHECK(named_delay("in 1 hour") == seconds(3600));
  CHECK(named_delay("come back in 00:05:00") == seconds(300));
  CHECK(named_delay("come back in 12:30") == seconds(750));
  CHECK(named_delay("Greylisted, 4.7.1 see RFC 6647, 3 retries") == std::nullopt);
  CHECK(named_delay("from [192.0.2.1]") == std::nullopt);
  CHECK(named_delay("(S77714) 10m") == seconds(600));
  CHECK(named_delay("in 99999 hours") == std::nullopt);  // longer than a day: no delay
  CHECK(named_delay("in 1234567890123 seconds") == std::nullopt);
  CHECK(named_delay("in 25:99:00") == std::nullopt);
  CHECK(named_delay("") == std::nullopt);
  CHECK(named_delay("Please wait 90 SECONDS") == seconds(90));
}

TEST_CASE("code patterns: enhanced codes with *, reply codes with ?", "[smtp][policy]") {
  std::string problem;
  const auto relay = parse_code_pattern("5.7.1", problem);
  REQUIRE(relay);
  CHECK(relay->enhanced);
  CHECK(matches(*relay, {554, "5.7.1", "Relay access denied", ""}));
  CHECK_FALSE(matches(*relay, {554, "5.7.12", "", ""}));
  CHECK_FALSE(matches(*relay, {554, "", "Relay access denied", ""}));

  const auto policy = parse_code_pattern("5.7.*", problem);
  REQUIRE(policy);
  CHECK(matches(*policy, {535, "5.7.8", "", ""}));
  CHECK(matches(*policy, {553, "5.7.1", "", ""}));
  CHECK_FALSE(matches(*policy, {550, "5.1.1", "", ""}));
  CHECK_FALSE(policy->temporary());

  const auto any_temp = parse_code_pattern("4.*.*", problem);
  REQUIRE(any_temp);
  CHECK(any_temp->temporary());
  CHECK(matches(*any_temp, {450, "4.7.1", "", ""}));

  const auto five = parse_code_pattern("5??", problem);
  REQUIRE(five);
  CHECK_FALSE(five->enhanced);
  CHECK(matches(*five, {554, "", "", ""}));
  CHECK_FALSE(matches(*five, {454, "", "", ""}));
  const auto fifty = parse_code_pattern("55?", problem);
  REQUIRE(fifty);
  CHECK(matches(*fifty, {553, "5.7.1", "", ""}));
  CHECK_FALSE(matches(*fifty, {535, "5.7.8", "", ""}));
}

TEST_CASE("code patterns that name no refusal are refused with the reason", "[smtp][policy]") {
  for (const char* bad : {"", "2.0.0", "250", "5.7", "5.x.1", "5.7.1000", "55.7.1", "5555", "5a0",
                          "550 ", "5.7.1.1", "5.*"}) {
    INFO("pattern \"" << bad << "\"");
    std::string problem;
    CHECK_FALSE(parse_code_pattern(bad, problem));
    CHECK_FALSE(problem.empty());
  }
}

TEST_CASE("stages are named by the phases they span", "[smtp][policy]") {
  CHECK(stage_of_phase("banner") == Stage::connect);
  CHECK(stage_of_phase("ehlo") == Stage::ehlo);
  CHECK(stage_of_phase("ehlo_tls") == Stage::ehlo);
  CHECK(stage_of_phase("auth") == Stage::auth);
  CHECK(stage_of_phase("mail_from") == Stage::mail);
  CHECK(stage_of_phase("rcpt_to") == Stage::rcpt);
  CHECK(stage_of_phase("data") == Stage::data);
  CHECK(stage_of_phase("message") == Stage::message);
  CHECK_FALSE(stage_of_phase("starttls"));
  CHECK_FALSE(stage_of_phase("quit"));
}
