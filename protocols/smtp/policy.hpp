// Policy probes and greylisting: what a refusal the scenario expects looks like (the stage of
// the dialogue and a pattern on the reply's code), and whether a temporary refusal is a
// greylisting and how long the server wants the client to wait. Pure functions on replies.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "codec/enum_names.hpp"
#include "codec/failure.hpp"

namespace mc::proto::smtp {

// Where in the dialogue a policy probe expects the server to refuse. `any` is any stage up to
// RCPT; `data` is the DATA command (after its 354 the client drops the connection without
// sending the message); `message` is the end of the message (the probe is sent).
enum class Stage { any, connect, ehlo, auth, mail, rcpt, data, message };
inline constexpr EnumName<Stage> kStageNames[] = {
    {Stage::any, "any"},   {Stage::connect, "connect"}, {Stage::ehlo, "ehlo"},
    {Stage::auth, "auth"}, {Stage::mail, "mail"},       {Stage::rcpt, "rcpt"},
    {Stage::data, "data"}, {Stage::message, "message"},
};
static_assert(names_all(kStageNames, Stage::message), "a Stage without its name");

// The stage a contract phase belongs to: banner -> connect, ehlo and ehlo_tls -> ehlo,
// auth, mail_from -> mail, rcpt_to -> rcpt, data, message. Other phases (starttls, quit, ...)
// are no stage a refusal is expected at.
std::optional<Stage> stage_of_phase(std::string_view phase);

// A pattern on a reply: an enhanced status code ("5.7.1", "5.7.*", "4.*.*") or a reply code
// ("550", "5??", "45?"). Only 4 and 5 classes: a pattern names a refusal.
struct CodePattern {
  std::string text;
  bool enhanced = false;  // matched against ServerReply::enhanced, else against the code
  bool temporary() const { return !text.empty() && text[0] == '4'; }
};

// The pattern, or nullopt with `problem` saying what is wrong (for a located load error).
std::optional<CodePattern> parse_code_pattern(std::string_view text, std::string& problem);
bool matches(const CodePattern& pattern, const ServerReply& reply);

// A greylisting: a 450 or 451 whose enhanced code is 4.7.1 or 4.2.0, or whose text says so
// ("Greylisted", "greylisting in action", "try again later", ...). `delay` is the wait the
// text asks for ("try again in 300 seconds", "come back in 00:05:00", "for 5 minutes").
struct Greylisting {
  std::optional<std::chrono::seconds> delay;
};
std::optional<Greylisting> greylisting(const ServerReply& reply);

// The delay a text names, if any: "N s|sec|secs|second|seconds", "N min|mins|minute|minutes",
// "HH:MM:SS"; at most one day (a longer one is not a greylisting delay). Exposed for tests.
std::optional<std::chrono::seconds> named_delay(std::string_view text);

}  // namespace mc::proto::smtp
