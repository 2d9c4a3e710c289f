// The run model: what a run found, independent of how it is reported. Every reporter reads this.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/enum_names.hpp"
#include "codec/failure.hpp"
#include "codec/time.hpp"
#include "codec/transcript.hpp"

namespace mc {

enum class Status { ok, warning, critical, unknown };
inline constexpr EnumName<Status> kStatusNames[] = {
    {Status::ok, "ok"},
    {Status::warning, "warning"},
    {Status::critical, "critical"},
    {Status::unknown, "unknown"},
};
static_assert(names_all(kStatusNames, Status::unknown), "a Status without its name");
std::string_view to_string(Status s);
int exit_code(Status s);           // Nagios plugin convention: 0, 1, 2, 3
Status worst(Status a, Status b);  // critical > unknown > warning > ok

// Where imap.wait found the probe: the watched mailbox, the account's Junk mailbox, or neither.
enum class Placement { inbox, junk, missing };
inline constexpr EnumName<Placement> kPlacementNames[] = {
    {Placement::inbox, "inbox"},
    {Placement::junk, "junk"},
    {Placement::missing, "missing"},
};
static_assert(names_all(kPlacementNames, Placement::missing), "a Placement without its name");
std::string_view to_string(Placement p);

struct PhaseResult {
  std::string name;
  double start_s = 0;  // offset from the scenario's start, monotonic
  double duration_s = 0;
};

struct TlsFacts {
  std::string version;
  std::string cipher;
  bool verified = false;  // false when verification was switched off in the scenario
  std::optional<Wall::time_point> cert_not_after;  // the leaf certificate
  std::optional<double> chain_expiry_s;  // earliest expiry in the verified chain, from now
  std::optional<Wall::time_point> chain_not_after;  // that same earliest expiry, as a time
  // The leaf's SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it: "AB:CD:...".
  std::string fingerprint_sha256;
  // The certificate that expires first (of the verified chain, else the leaf): its subject
  // (RFC 2253) and its depth in the chain, 0 for the leaf.
  std::string expiry_subject;
  int expiry_depth = 0;
  // The server's tls.expiry_warn / expiry_crit, and what they made of the days left.
  std::optional<double> expiry_warn_s;
  std::optional<double> expiry_crit_s;
  std::optional<double> expiry_left_s;          // from the end of the step, by the run's clock
  std::optional<std::string> expiry_threshold;  // "warn" or "crit" when within one
};

// A fact that only one step kind reports (a queue id, the UIDs found), rendered the same way by
// every reporter: `value` under `key` in the result document, `text` for people.
struct Detail {
  std::string key;       // the step's member in the result document: "queue_id"
  nlohmann::json value;  // what the result document holds under it
  std::string text;      // one line for people ("queue id 4XyZ1"); empty: the document only
  bool summary = false;  // also on the step's one-line summary (JUnit's system-out)
};

struct StepResult {
  std::string step;
  std::string status = "ok";  // ok | warning | critical | failed | skipped
  double start_s = 0;
  double duration_s = 0;
  std::string server;   // the URL, never credentials
  std::string address;  // ip:port actually connected
  std::vector<PhaseResult> phases;
  std::optional<TlsFacts> tls;
  std::optional<std::string> threshold;  // "warn" or "crit" when a threshold was exceeded
  std::optional<double> warn_s;          // the step's thresholds, as configured
  std::optional<double> crit_s;
  std::optional<bool> plaintext_auth;  // credentials crossed without TLS (allow_plaintext_auth)
  std::vector<Detail> details;         // the kind's own facts, in the order it gave them
  // Why a step that did not fail is a warning (other than a threshold), for one-line reports:
  // "expunge_skipped (the probe stays flagged \\Deleted; others' mail is too)".
  std::optional<std::string> note;
  std::vector<TranscriptLine> transcript;  // kept for failed steps only

  const Detail* detail(std::string_view key) const;
  void add_detail(std::string key, nlohmann::json value, std::string text, bool summary = false);
};

struct ScenarioFailure {
  std::string step;
  Failure failure;
};

// A probe of an earlier run, found now (late) or given up on (lost). Informational: the run that
// sent it already reported it as not delivered.
struct EarlierProbe {
  std::string token;
  Wall::time_point queued_at{};
  std::optional<Wall::time_point> seen_at;  // late: when this run's search found it
  // late: the topmost Received: header's date, i.e. when the mailstore took it; whole seconds
  std::optional<Wall::time_point> delivered_at;
  std::optional<double> delivery_s;  // late: delivered_at - queued_at, both in whole seconds
};

// What the trusted host's Authentication-Results field says of one method of the probe.
struct AuthVerdictResult {
  std::string method;  // spf, dkim, dmarc, arc
  std::string result;  // pass, fail, softfail, neutral, none, ..., or "missing": not reported
};

// A spam scanner's score of the probe, as it wrote it in the header.
struct SpamScoreResult {
  std::string source;  // rspamd, spamassassin, microsoft_scl
  double score = 0;
  std::optional<double> threshold;
};

// One hop of the delivered probe, from its Received: field; a scenario lists them oldest first.
struct HopResult {
  std::string hop;   // its label: the name the file gives it, else its number "1", "2", ...
  std::string by;    // the host that wrote the field
  std::string with;  // the protocol it took the probe with: "ESMTPSA", "LMTP"
  std::optional<Wall::time_point> at;  // the field's date, whole seconds
  std::optional<double> delay_s;       // since the hop before (the first: since the Date:)
  bool skew = false;                   // earlier than the hop before: the clocks disagree
};

// One block-list answer of a dnsbl.check, for the metrics.
struct DnsblResult {
  std::string zone;
  // The address or domain asked about when the file names it (a label then); "" for those
  // found by "of" (the sender, an MX), which are never labels.
  std::string address;
  std::string domain;
  std::string verdict;  // listed, clean or unknown
};

struct ScenarioResult {
  std::string name;
  Status status = Status::ok;
  double duration_s = 0;
  std::string token;
  Wall::time_point started_at{};
  std::optional<Wall::time_point> queued_at;
  std::optional<Wall::time_point> seen_at;
  std::optional<double> delivery_s;
  std::optional<ScenarioFailure> failure;
  std::vector<StepResult> steps;
  std::vector<EarlierProbe> late;  // found in this run, deleted
  std::vector<EarlierProbe> lost;  // not found within the lost-after horizon; no longer sought
  int pending = 0;                 // probes of earlier runs still sought
  // From the delivered probe's header: the verdicts of the trusted host, and spam scores.
  std::vector<AuthVerdictResult> auth_results;
  std::vector<SpamScoreResult> spam_scores;
  std::vector<HopResult> hops;  // the probe's path, as the imap.wait that found it read it
  // Set by imap.wait: where the probe landed (missing: it never came, or it bounced).
  std::optional<Placement> placement;
  std::string placement_mailbox;   // the mailbox it was found in ("" when missing)
  std::vector<DnsblResult> dnsbl;  // every dnsbl.check's answers, in step order
};

struct RunResult {
  std::string version;
  std::string vantage;
  Wall::time_point started_at{};
  double duration_s = 0;
  Status status = Status::ok;
  std::vector<ScenarioResult> scenarios;
  std::vector<std::string>
      warnings;  // problems that did not stop the run (e.g. a corrupt state file)
};

// A server reply as one line for people: "535 5.7.8 text" (SMTP) or "NO [CODE] text" (IMAP).
std::string reply_text(const ServerReply& r);

// Where a scenario's failure happened, for people: "smtp.send/banner", or only the phase
// ("queued") when no step owns it. `separator` goes between step and phase.
std::string failure_place(const ScenarioResult& sc, std::string_view separator = "/");

// Why a step's certificate is a warning or critical, for people: "certificate CN=mx.example.test
// of smtp://mx.example.test:25 expires in 2 days (2026-11-25T12:00:00.000Z), within the crit
// threshold of 7 days". Empty when it is within no threshold.
std::string tls_expiry_note(const StepResult& st);

// Where the probe landed, for people: "junk (mailbox Junk)", "missing"; empty when not known.
std::string placement_text(const ScenarioResult& sc);

// The step a scenario's failure happened in: the failed step of that name, else the last one.
const StepResult* failed_step(const ScenarioResult& sc);

// The result document of the contract, schema "mailcanary.result/1".
nlohmann::json to_json(const RunResult& run);

}  // namespace mc
