// smtp.send's policy probes ("expect": "reject": the server must refuse, and an accepted probe
// is never sent) and its greylisting retries ("greylist": "retry"), kept apart from the send
// itself: the keys, their load-time checks, the retry loop and the verdict on a refusal.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "protocols/smtp.hpp"
#include "protocols/smtp/policy.hpp"
#include "results/result.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/steps/step.hpp"
#include "transport/driver.hpp"

namespace mc::scn {

class StepContext;

struct RefusalExpectation {
  proto::smtp::Stage stage = proto::smtp::Stage::any;
  std::optional<proto::smtp::CodePattern> code;  // none: any permanent (5xx) refusal
};

struct SendPolicy {
  std::optional<RefusalExpectation> reject;  // "expect"
  bool greylist_retry = false;               // "greylist": "retry"
  std::chrono::milliseconds greylist_delay{60'000};
};

inline constexpr KeySpec kExpectRejectKey{
    "expect", KeyType::object, "",
    "is \"reject\" or { \"reject\": STAGE, \"code\": PATTERN }: the server must refuse the probe"};
inline constexpr KeySpec kGreylistKey{"greylist", KeyType::string, "fail",
                                      "is \"retry\" to wait out a greylisting and send again"};
inline constexpr KeySpec kGreylistDelayKey{
    "greylist_delay", KeyType::duration, "60s",
    "is the wait after a greylisting whose reply names no delay"};

// Reads expect, greylist and greylist_delay of an smtp.send, with located problems.
void load_policy(StepInput& in, const Step& s, SendPolicy& policy);
// What the client must do for the policy: stop before the message, QUIT after a refusal.
void configure(const SendPolicy& policy, proto::smtp::Config& c);

// One smtp.send as it ended: its last session, and its refusal or failure.
struct SendAttempt {
  SessionOutcome session;
  proto::smtp::Outcome smtp;
  std::vector<TranscriptLine> transcript;
  std::optional<Failure> failure;
};

// Runs the client against `server`; a greylisting at RCPT under "greylist": "retry" ends the
// session, waits (phase greylist_wait) and connects again, within the step's deadline.
boost::asio::awaitable<SendAttempt> send_probe(StepContext& ctx, StepResult& out,
                                               const Server& server, const SendPolicy& policy,
                                               const proto::smtp::Config& c);

// The verdict of a policy probe: nullopt when the server refused as expected (detail
// "refused"), `accepted` when it took what it should have refused (detail "accepted"), else
// the refusal at another stage or with another code, or the failure as it was.
std::optional<Failure> judge_refusal(const RefusalExpectation& want, const SendAttempt& a,
                                     StepResult& out);

}  // namespace mc::scn
