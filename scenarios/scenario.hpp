// The scenario file model and its loader. Loading resolves defaults, URLs and secrets, and
// collects every problem it finds, each naming the file and the place, before anything is sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec/enum_names.hpp"
#include "protocols/machine.hpp"
#include "protocols/sasl/mechanism.hpp"

namespace mc::scn {

using std::chrono::milliseconds;

using proto::kStartTlsNames;
using proto::StartTls;

struct Tls {
  std::string ca_file;  // resolved against the scenario file's directory
  std::string server_name;
  bool verify = true;
  std::string min_version;
  // Thresholds on the days the certificate chain has left: within one, the step is a warning
  // or critical. Each comes from defaults.tls unless the server's own tls gives it.
  std::optional<milliseconds> expiry_warn;
  std::optional<milliseconds> expiry_crit;
};

struct Server {
  std::string name;
  std::string url;
  std::string scheme;  // smtp, smtps, imap, imaps, pop3, pop3s, http, https
  std::string host;
  std::uint16_t port = 0;
  bool implicit_tls = false;
  StartTls starttls = StartTls::required;
  Tls tls;  // the server's own "tls" block as a whole, else defaults.tls
  // Credentials may cross this server's connections without TLS: only when the file says so.
  bool allow_plaintext_auth = false;
  char ip = 0;  // "ip": '4' or '6' connects over that family only; 0: both
};

// The file's "dns" block: which servers answer mailcanary's own lookups (the servers' names,
// dns.mx, the MX of smtp.send "mx:DOMAIN"), and how long one query may take.
struct Dns {
  std::vector<std::string> servers;  // "192.0.2.53", "127.0.0.1:5353", "[::1]:53"; empty: system's
  milliseconds timeout{5000};
};

struct Account {
  std::string name;
  std::string user;
  std::string password;         // the secret itself, resolved at load time; never printed
  std::string password_source;  // "env PROBE_PASSWORD" or "file /path": safe to print
  // "mechanism": the SASL mechanism to use; nullopt: the best the server offers.
  std::optional<proto::sasl::Mechanism> mechanism;
  // {"oauth2_token_file": PATH}: `password` is an OAuth 2.0 access token, read from
  // `token_file` again before each login (something else renews it).
  bool oauth2 = false;
  std::string token_file;
  // "oauth2": the access token is obtained from a token endpoint at run time (RFC 6749: the
  // refresh_token grant with a refresh token, else client_credentials) and cached in the state
  // directory; `oauth2` is then true and `password` empty.
  struct Grant {
    std::string token_url;
    std::string client_id;
    std::string client_secret;       // from client_secret_file; a secret, never printed
    std::string refresh_token;       // from refresh_token_file; a secret, never printed
    std::string refresh_token_file;  // safe to print
    std::string scope;
    std::string ca_file;  // the endpoint's CA; "" for the system's
  };
  std::optional<Grant> grant;
};

class StepKind;  // scenarios/steps/step.hpp

// A kind's own keys, typed; each kind derives its own.
struct StepKeys {
  virtual ~StepKeys() = default;
};

struct Step {
  std::string kind;                // its name: smtp.send, imap.wait, ... as results call it
  const StepKind* type = nullptr;  // what loads and runs it (scenarios/steps/registry.hpp)
  std::string path;                // JSON path in its file, for messages
  std::string server;
  std::string account;
  bool new_session = false;  // "session": "new": a login of its own, shared with no other step
  std::optional<milliseconds> timeout;
  std::optional<milliseconds> warn;
  std::optional<milliseconds> crit;
  std::shared_ptr<const StepKeys> keys;  // the kind's own, never null once loaded

  // The kind's keys as its own type (scenarios/steps/<kind>.hpp).
  template <typename T>
  const T& as() const;
};

struct Scenario {
  std::string name;
  std::string file;
  std::string path;  // JSON path in its file ("scenarios[0]"), for messages
  milliseconds timeout{60'000};
  std::vector<Step> steps;
};

// A reporter named in the file's "reporters" list; the command line's option of the same type
// wins over it.
struct ReporterSpec {
  std::string type;  // json, jsonl, textfile, junit, html, nagios, pushgateway
  std::string path;  // the file reporters' output (relative to the scenario file)
  std::string url;   // pushgateway
  std::string ca_file;
  std::string basic_auth;    // pushgateway "user:password", read from a secret file
  std::string bearer_token;  // pushgateway, read from a secret file
  std::optional<milliseconds> timeout;
};

struct File {
  std::string path;
  std::string vantage;
  Dns dns;
  std::optional<Tls> default_tls;  // "defaults.tls" when the file gives it (MX routes read it)
  std::map<std::string, Server> servers;
  std::map<std::string, Account> accounts;
  std::vector<Scenario> scenarios;
  std::vector<ReporterSpec> reporters;
};

// One thing wrong with a file: what is wrong, then how to fix it.
struct Problem {
  std::string file;
  std::string where;  // a JSON path like scenarios[0].steps[1].server; empty for syntax errors
  std::string message;
  int line = 0;  // 1-based place in the file; 0 when there is none (an unreadable file)
  int column = 0;
  // "FILE: line 12, column 19 (scenarios[0].steps[1].server): MESSAGE"
  std::string format() const;
};

struct Loaded {
  std::vector<File> files;
  std::vector<Problem> problems;  // file by file in command line order, each file's in text order
  // What is allowed but weakens the probe (TLS verification off, credentials in clear, probes
  // left in the mailbox): printed by validate and run, and listed in the result's warnings.
  std::vector<Problem> warnings;
};

struct LoadOptions {
  bool resolve_secrets = true;  // validate may skip env lookups
  // `run --every D`: a scenario whose timeout is longer than D would overlap the next round.
  std::optional<std::chrono::milliseconds> every;
};

// Loads every file and checks everything that can be checked without sending: structure,
// unknown keys and names (with a "did you mean" for near misses), durations and their order,
// references between steps, servers and accounts, secrets, and scenario names that repeat
// within or across the files (--scenario picks scenarios by name).
Loaded load_files(const std::vector<std::string>& paths, const LoadOptions& options = {});

// Splits scheme://host[:port][/path]; IPv6 hosts in brackets. Error text on failure.
std::optional<std::string> parse_server_url(const std::string& url, Server& out);

}  // namespace mc::scn
