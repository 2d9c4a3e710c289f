// What a step runs with: the scenario's token and deadlines, the injected clock and transport,
// the typed state that steps share, the scenario's mailbox sessions, and where its findings go.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "results/result.hpp"
#include "scenarios/scenario.hpp"
#include "transport/clock.hpp"
#include "transport/connection.hpp"

namespace mc::scn {

class MailboxSessions;

// What one step leaves for the steps after it.
struct SharedState {
  std::optional<Mono::time_point> queued;  // the server accepted the probe (250 after DATA)
  std::vector<std::uint32_t> found_uids;   // the probe's UIDs, verified in `found_in`
  std::uint32_t uidvalidity = 0;           // of that mailbox, in that session
  std::string found_in;                    // the mailbox key (ProbeMailbox::key)
  // The watched mailbox's key when the probe was found elsewhere (in Junk), and that mailbox's
  // name: an imap.delete of the watched mailbox deletes it there.
  std::string moved_from;
  std::string found_mailbox;
  // pop3.wait: the probe's unique-id (UIDL) in `found_in`, proved by its header.
  std::string pop3_uid;
  bool deleted = false;  // a step removed what was found
  // A step left the probe flagged but not expunged: sweeping earlier flagged probes in this run
  // would only meet the same obstacle.
  bool expunge_blocked = false;
  // The scenario's own session to the probe's mailbox failed on the server's side: the sweep
  // must not try that server again in this run.
  bool store_failed = false;
  // The header of the probe as the last wait that found it read it (dnsbl.check "of": "sender").
  std::string probe_headers;
  // The scenario's web session: its cookies (as curl writes them) and the values http.get
  // steps captured, by name. Neither ever reaches a report.
  std::vector<std::string> http_cookies;
  std::map<std::string, std::string> http_captures;
};

// Maps the clock's instants onto the scenario's offsets and onto wall-clock time.
struct Timeline {
  Mono::time_point mono0{};
  Wall::time_point wall0{};
  double offset_s(Mono::time_point t) const { return Stopwatch::seconds(t - mono0); }
  Wall::time_point wall_at(Mono::time_point t) const {
    return wall0 + std::chrono::duration_cast<Wall::duration>(t - mono0);
  }
};

// A step started before the step that sends the probe, still running in the background.
class EarlyStart {
 public:
  virtual ~EarlyStart() = default;
  // Stops it and waits until it has stopped (the scenario failed before the step's turn).
  virtual boost::asio::awaitable<void> abandon() = 0;
};

class StepContext {
 public:
  const File& file;
  const Scenario& scenario;
  const Step* step = nullptr;            // the step running now
  std::size_t index = 0;                 // its place in scenario.steps
  std::string token;                     // this run's probe token
  Mono::time_point deadline{};           // the step's: its timeout within the scenario's
  Mono::time_point scenario_deadline{};  // the scenario's, within the run's
  Clock& clock;
  Transport& transport;
  Timeline timeline;
  SharedState shared;
  ScenarioResult& result;
  std::vector<std::string>& warnings;  // the run's
  MailboxSessions* sessions = nullptr;
  // Every pending probe's token: all of them are mailcanary's, so a \Deleted message carrying
  // one is never taken for the user's.
  std::vector<std::string> own_tokens{};
  std::string state_dir{};  // "" when the run keeps no state
  // The access tokens obtained for accounts with an "oauth2" block, by account name (secrets).
  std::map<std::string, std::string> oauth2_tokens{};
  std::function<void(const TranscriptLine&)> live{};  // -v: each transcript line as it happens
  // The steps started early, by their index in scenario.steps.
  std::map<std::size_t, std::shared_ptr<EarlyStart>> early{};
  // The server accepted the probe: the pending-probe store remembers it at once, so that
  // whatever ends the run early, a later run still finds it and deletes it.
  std::function<void()> probe_accepted{};
  // Other pending probes went with an EXPUNGE in `mailbox_key`: their records are dropped.
  std::function<void(const std::vector<std::string>& tokens, const std::string& mailbox_key)>
      expunged_with_ours{};

  const Step& current() const { return *step; }
  SessionOptions session_options(const Server& server, Mono::time_point until) const;
  // Copies what every step reports the same way: phases, address, TLS.
  void record(const Server& server, const SessionOutcome& o, StepResult& out) const;
  static std::optional<Mono::time_point> phase_end(const SessionOutcome& o, std::string_view n);
};

// The file's "dns" block as the resolver takes it.
DnsSettings dns_settings(const File& file);

// The transcript lines of `t` added since it held `mark` lines in all (Transcript::total()).
std::vector<TranscriptLine> lines_since(const Transcript& t, std::size_t mark);

}  // namespace mc::scn
