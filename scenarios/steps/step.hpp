// A step kind: its name, its own keys with their types and defaults, the checks of its keys at
// load time, and how it runs. Every kind is one file under scenarios/steps/ and one line of the
// registry (registry.cpp); the loader, the runner and the reporters know no kind by name.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/failure.hpp"
#include "results/result.hpp"
#include "scenarios/scenario.hpp"

namespace mc::scn {

class StepContext;

enum class KeyType {
  string,    // "INBOX"
  strings,   // "a@example.test" or ["a@example.test", "b@example.test"]
  duration,  // "250ms", "10s"
  boolean,   // true
  count,     // 10
  object,    // { "dkim": "pass" }: keys of its own, read with StepInput::object
};

// One key a kind accepts, for the "did you mean" of unknown keys and for the reference.
struct KeySpec {
  std::string_view name;
  KeyType type;
  std::string_view default_text;  // "" when the key has no default (required or optional)
  // What it does, completing "it ...": "says the probe stays in the mailbox". Also what a step
  // of another kind is told when it carries this key.
  std::string_view what;
};

// The keys every kind that talks to a server takes, and those every kind takes.
inline constexpr KeySpec kStepKey{"step", KeyType::string, "", "names the step kind"};
inline constexpr KeySpec kServerKey{"server", KeyType::string, "",
                                    "names the server, from \"servers\""};
inline constexpr KeySpec kAccountKey{"account", KeyType::string, "",
                                     "names the account, from \"accounts\""};
inline constexpr KeySpec kSessionKey{
    "session", KeyType::string, "shared",
    "is \"new\" for a login of its own instead of the scenario's session"};
inline constexpr KeySpec kTimeoutKey{"timeout", KeyType::duration, "the scenario's",
                                     "bounds the step"};
inline constexpr KeySpec kWarnKey{"warn", KeyType::duration, "",
                                  "makes the run WARNING when the step takes longer"};
inline constexpr KeySpec kCritKey{"crit", KeyType::duration, "",
                                  "makes the run CRITICAL when the step takes longer"};

// One step's JSON object as its kind reads it. Every getter checks the type and records a
// located problem (file, line, column, fix) when it is wrong; `validate` lists them all.
class StepInput {
 public:
  virtual ~StepInput() = default;
  virtual const File& file() const = 0;
  virtual const std::string& where() const = 0;  // "scenarios[0].steps[1]"
  virtual bool has(std::string_view key) const = 0;
  virtual bool is_list(std::string_view key) const = 0;    // given as a JSON array
  virtual bool is_object(std::string_view key) const = 0;  // given as a JSON object
  virtual std::optional<std::string> string(std::string_view key) = 0;
  // A string or a non-empty list of strings.
  virtual std::optional<std::vector<std::string>> strings(std::string_view key) = 0;
  virtual std::optional<std::chrono::milliseconds> duration(std::string_view key) = 0;
  virtual std::optional<bool> boolean(std::string_view key) = 0;
  virtual std::optional<std::uint32_t> count(std::string_view key, std::uint32_t max) = 0;
  // A finite JSON number.
  virtual std::optional<double> number(std::string_view key) = 0;
  // A member that is an object of keys of its own ("expect": { "dkim": "pass" }): its members
  // are read with these same getters, each problem placed under it, and a key not in `known` is
  // a problem that lists them. Null when it is absent, or not an object (a problem then).
  virtual std::unique_ptr<StepInput> object(std::string_view key,
                                            const std::vector<std::string>& known) = 0;
  // The member names of an object member whose keys are the file's own (http.get's form
  // fields): nullopt when it is absent, or not an object (a problem then).
  virtual std::optional<std::vector<std::string>> member_names(std::string_view key) = 0;
  // `at` is a JSON path ("scenarios[0].steps[1].to[2]"); at_key places it at the member's key.
  virtual void problem(const std::string& at, const std::string& message, bool at_key = false) = 0;
  // The scenario's steps before this one, loaded.
  virtual const std::vector<Step>& earlier() const = 0;
  // The scenario's timeout, when it is known (not broken itself): what bounds every step.
  virtual std::optional<std::chrono::milliseconds> scenario_timeout() const = 0;
  // A longer text for messages that quote the scenario timeout's source (" (the default)").
  virtual const std::string& scenario_timeout_note() const = 0;

  // Checks shared by the kinds that talk to servers: the server exists and has one of
  // `schemes`; the account exists; credentials do not cross a connection without TLS.
  virtual void check_server(const Step& s, std::initializer_list<const char*> schemes) = 0;
  virtual void check_account(const Step& s) = 0;
  virtual void check_plaintext_auth(const Step& s) = 0;
};

// Where a kind looks for the probe: the kinds that wait for it (imap.wait) tell the runner
// which mailbox that is, whether probes stay there, and how to look for an earlier run's.
struct ProbeMailbox {
  std::string key;    // one mailbox as the server sees it: URL, user, mailbox name
  bool keep = false;  // probes are meant to stay: later runs find them, never delete them
};

// What looking for an earlier run's probe found.
struct SweepFound {
  std::optional<Failure> failure;             // the session failed: the probe stays pending
  bool found = false;                         // a message carrying its token is there
  bool removed = false;                       // and it is gone (expunged)
  std::optional<Mono::time_point> seen;       // when the search found it
  std::optional<Wall::time_point> delivered;  // the topmost Received: date, whole seconds
  std::vector<std::string> also_expunged;     // other pending tokens that went with it
};

class StepKind {
 public:
  virtual ~StepKind() = default;
  virtual std::string_view name() const = 0;
  // Every key the kind accepts, "step" included, in the order the reference lists them.
  virtual const std::vector<KeySpec>& keys() const = 0;
  // Reads the kind's keys into `step` (its typed keys in step.keys) and checks them. The
  // common keys (server, account, session, timeout, warn, crit) are read already, when the
  // kind lists them.
  virtual void load(StepInput& in, Step& step) const = 0;
  // Runs the step. Phases, TLS facts, details and the transcript go into `out`; the returned
  // failure, if any, fails the scenario.
  virtual boost::asio::awaitable<std::optional<Failure>> run(StepContext& ctx,
                                                             StepResult& out) const = 0;

  // Kinds that wait for the probe in a mailbox.
  virtual std::optional<ProbeMailbox> probe_mailbox(const File&, const Step&) const {
    return std::nullopt;
  }
  // The kind that removes what this one finds ("imap.delete"), for the warning about probes
  // left behind; and whether this kind is such a remover.
  virtual std::string_view remover() const { return {}; }
  // Kinds that send the probe (smtp.send): a later step that waits for it may start first.
  virtual bool sends_probe() const { return false; }
  // Kinds that send the probe: whether this step expects the server to refuse it (a policy
  // probe), so that it is never delivered and no later step may wait for it.
  virtual bool expects_refusal(const Step&) const { return false; }
  // Whether `step` can start before the step that sends the probe, so that it already waits
  // when the probe goes out, as a recipient's open mail client does; start_early() then starts
  // it (its phases timed in `out` from then on, its deadline ctx.deadline) and run() finishes it.
  virtual bool starts_early(const Step&) const { return false; }
  virtual boost::asio::awaitable<std::optional<Failure>> start_early(StepContext& ctx,
                                                                     StepResult& out) const;
  // Whether the step still runs after an earlier step failed. A remover does once the probe was
  // found, so that a failure after the find (an expectation, a later check) leaves nothing in
  // the mailbox.
  virtual bool runs_after_failure(const StepContext&) const { return false; }
  // Looks for an earlier run's probe with `token` in this step's mailbox, and removes it (or
  // only finds it, when probes are kept). Kinds that have a probe_mailbox implement it.
  virtual boost::asio::awaitable<SweepFound> sweep(StepContext& ctx,
                                                   const std::string& token) const;
};

template <typename T>
const T& Step::as() const {
  return dynamic_cast<const T&>(*keys);
}

}  // namespace mc::scn
