// The loader of scenario files, internal to scenarios/: one Loader per file collects every
// problem and warning it finds, each placed at its line and column. Its parts live in
// loader.cpp (reading, placing, typed getters), load_file.cpp (servers, accounts, secrets,
// reporters) and load_steps.cpp (scenarios and steps, each step read by its kind).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/jsonc.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/steps/step.hpp"

namespace mc::scn {

using nlohmann::json;
namespace fs = std::filesystem;
using Names = std::vector<std::string>;

struct DefaultPort {
  const char* scheme;
  std::uint16_t port;
  bool implicit_tls;
};
inline constexpr DefaultPort kSchemes[] = {
    {"smtp", 25, false},  {"smtps", 465, true}, {"imap", 143, false}, {"imaps", 993, true},
    {"pop3", 110, false}, {"pop3s", 995, true}, {"http", 80, false},  {"https", 443, true},
};

std::string join(const Names& names);

// How to fix an unknown name: `; did you mean "x"? (LABEL: a, b)`, else `; LABEL: a, b`, else
// `; NONE` when nothing is known.
std::string suggestion(const std::string& typed, const Names& known, const std::string& label,
                       const std::string& none);

template <typename Map>
Names keys_of(const Map& m) {
  Names out;
  for (const auto& [k, _] : m) out.push_back(k);
  return out;
}

// Where a scenario's timeout comes from, for messages that compare against it.
struct ScenarioTimeout {
  bool known = true;  // false when the timeout that applies could not be read
  std::string note;   // "" when written in the scenario, else " (from defaults.timeout)"...
};

class Loader {
 public:
  Loader(std::string path, const LoadOptions& opts) : path_(std::move(path)), opts_(opts) {
    dir_ = fs::path(path_).parent_path();
  }

  std::optional<File> load();

  // Records a problem at JSON path `where`, placed at the member's key when `at_key`, else at
  // its value; a path that is not in the file (a missing key) is placed at its parent.
  void problem(const std::string& where, const std::string& message, bool at_key = false);

  // Something allowed that weakens the probe; it does not stop the run.
  void warning(const std::string& where, const std::string& message, bool at_key = false);

  // Hands over this file's problems and warnings, each in the order of the text.
  void flush(std::vector<Problem>& problems, std::vector<Problem>& warnings);

 private:
  friend class StepReader;

  struct Found {
    std::size_t offset;
    Problem problem;
  };

  Found place(const std::string& where, const std::string& message, bool at_key);

  Found located(std::size_t offset, Problem p);

  void add(std::size_t offset, Problem p) { found_.push_back(located(offset, std::move(p))); }

  void known_keys(const json& obj, const std::string& where, const Names& keys);

  std::optional<std::string> get_string(const json& obj, const std::string& key,
                                        const std::string& where);

  std::optional<milliseconds> get_duration(const json& obj, const std::string& key,
                                           const std::string& where);

  // A value quoted in a message: a hostile file may hold kilobytes in one string.
  static std::string shortened(const std::string& s);

  std::string resolve_path(const std::string& p) const;

  void load_tls(const json& j, const std::string& where, Tls& tls);

  // expiry_crit must be below expiry_warn; `*_inherited` names a key taken from defaults.tls.
  void check_expiry_order(const Tls& tls, const std::string& where, bool warn_inherited,
                          bool crit_inherited);

  // The expiry thresholds of defaults.tls that the server's own tls (`own`) does not set.
  void inherit_expiry(const json* own, const Tls& defaults, const std::string& where, Server& s);

  std::optional<StartTls> parse_starttls(const json& obj, const std::string& where);

  File load_root(const json& root);

  void load_reporters(const json& root, File& f);

  void load_servers(const json& root, const Tls& default_tls, File& f);

  // The top-level "dns" block and a server's "ip" (load_dns.cpp).
  void load_dns(const json& root, File& f);
  void load_server_ip(const json& sj, const std::string& where, Server& s);

  std::optional<std::string> read_secret_file(const std::string& p, const std::string& where);

  void load_password(const json& pj, const std::string& where, Account& a);

  void load_accounts(const json& root, File& f);
  void load_mechanism(const json& aj, const std::string& where, Account& a);
  // scenarios/load_oauth2.cpp: an account's "oauth2" block.
  void load_oauth2(const json& oj, const std::string& where, Account& a);

  void check_server(const File& f, const Step& s, const std::string& where,
                    std::initializer_list<const char*> schemes);

  void check_account(const File& f, const Step& s, const std::string& where);

  void unknown_step_keys(const json& sj, const std::string& where, const StepKind& kind);

  void load_step(const json& sj, const std::string& where, const File& f, Scenario& sc,
                 const ScenarioTimeout& sc_timeout);

  // Credentials never cross a connection without TLS unless the file says so for that server.
  // With starttls "off" that is certain before anything is sent; "optional" is decided by the
  // server's offer, at run time.
  void check_plaintext_auth(const File& f, const Step& s, const std::string& where);

  // A probe that imap.wait found and no imap.delete removes stays in the mailbox; unless the
  // file says that is intended, later runs delete it and every run says so.
  void warn_probes_left_behind(const File& f, const Scenario& sc);

  void load_scenarios(const json& root, milliseconds default_timeout,
                      const ScenarioTimeout& default_source, File& f);

  std::string path_;

  fs::path dir_;

  const LoadOptions& opts_;

  std::string text_;

  SourceMap map_;

  bool mapped_ = false;

  std::vector<Found> found_;

  std::vector<Found> warned_;

  Names declared_servers_;
};

}  // namespace mc::scn
