#include <algorithm>

#include "codec/time.hpp"
#include "scenarios/loader.hpp"
#include "scenarios/steps/registry.hpp"

namespace mc::scn {

void Loader::check_server(const File& f, const Step& s, const std::string& where,
                          std::initializer_list<const char*> schemes) {
  auto it = f.servers.find(s.server);
  if (it == f.servers.end()) {
    // A server that is declared but broken has its own problem; naming it is not one.
    if (std::find(declared_servers_.begin(), declared_servers_.end(), s.server) !=
        declared_servers_.end())
      return;
    problem(where + ".server", "no server named \"" + s.server + "\"" +
                                   suggestion(s.server, declared_servers_, "servers in this file",
                                              "define it under \"servers\""));
    return;
  }
  for (const char* sc : schemes)
    if (it->second.scheme == sc) return;
  std::string want;
  for (const char* sc : schemes) want += (want.empty() ? "" : " or ") + std::string(sc) + "://";
  problem(where + ".server", s.kind + (want.front() == 'p' ? " needs a " : " needs an ") + want +
                                 " server, but \"" + s.server + "\" is " + it->second.url);
}

void Loader::check_account(const File& f, const Step& s, const std::string& where) {
  if (f.accounts.count(s.account)) return;
  problem(where + ".account",
          "no account named \"" + s.account + "\"" +
              suggestion(s.account, keys_of(f.accounts), "accounts in this file",
                         "define it under \"accounts\""));
}

// One step's object as its kind reads it: the Loader's getters and checks, bound to the step.
class StepReader final : public StepInput {
 public:
  StepReader(Loader& l, const json& sj, std::string where, const File& f, const Scenario& sc,
             const ScenarioTimeout& timeout)
      : l_(l), sj_(sj), where_(std::move(where)), f_(f), sc_(sc), timeout_(timeout) {}

  const File& file() const override { return f_; }
  const std::string& where() const override { return where_; }
  bool has(std::string_view key) const override { return sj_.contains(key); }
  bool is_list(std::string_view key) const override {
    auto it = sj_.find(key);
    return it != sj_.end() && it->is_array();
  }
  bool is_object(std::string_view key) const override {
    auto it = sj_.find(key);
    return it != sj_.end() && it->is_object();
  }
  std::optional<std::string> string(std::string_view key) override {
    return l_.get_string(sj_, std::string(key), where_);
  }
  std::optional<std::vector<std::string>> strings(std::string_view key) override {
    auto it = sj_.find(key);
    if (it == sj_.end()) return std::nullopt;
    const std::string at = where_ + "." + std::string(key);
    if (it->is_string()) return std::vector<std::string>{it->get<std::string>()};
    if (!it->is_array() || it->empty()) {
      l_.problem(at, key == "to" ? "must be an address or a list of addresses"
                                 : "must be a string or a non-empty list of strings");
      return std::nullopt;
    }
    std::vector<std::string> out;
    for (const auto& v : *it) {
      if (v.is_string())
        out.push_back(v.get<std::string>());
      else
        l_.problem(at, key == "to" ? "recipients must be strings" : "must hold strings only");
    }
    return out;
  }
  std::optional<std::chrono::milliseconds> duration(std::string_view key) override {
    return l_.get_duration(sj_, std::string(key), where_);
  }
  std::optional<bool> boolean(std::string_view key) override {
    auto it = sj_.find(key);
    if (it == sj_.end()) return std::nullopt;
    if (!it->is_boolean()) {
      l_.problem(where_ + "." + std::string(key), "must be true or false");
      return std::nullopt;
    }
    return it->get<bool>();
  }
  std::optional<std::uint32_t> count(std::string_view key, std::uint32_t max) override {
    auto it = sj_.find(key);
    if (it == sj_.end()) return std::nullopt;
    if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() > max) {
      l_.problem(where_ + "." + std::string(key),
                 "must be a whole number from 0 to " + std::to_string(max));
      return std::nullopt;
    }
    return static_cast<std::uint32_t>(it->get<long long>());
  }
  std::optional<double> number(std::string_view key) override {
    auto it = sj_.find(key);
    if (it == sj_.end()) return std::nullopt;
    if (!it->is_number()) {
      l_.problem(where_ + "." + std::string(key), "must be a number, like 5 or 7.5");
      return std::nullopt;
    }
    return it->get<double>();
  }
  std::unique_ptr<StepInput> object(std::string_view key, const Names& known) override {
    auto it = sj_.find(key);
    if (it == sj_.end()) return nullptr;
    const std::string at = where_ + "." + std::string(key);
    if (!it->is_object()) {
      l_.problem(at, "must be an object with any of the keys " + join(known));
      return nullptr;
    }
    l_.known_keys(*it, at, known);
    return std::make_unique<StepReader>(l_, *it, at, f_, sc_, timeout_);
  }
  std::optional<std::vector<std::string>> member_names(std::string_view key) override {
    auto it = sj_.find(key);
    if (it == sj_.end()) return std::nullopt;
    if (!it->is_object()) {
      l_.problem(where_ + "." + std::string(key), "must be an object of names and values");
      return std::nullopt;
    }
    std::vector<std::string> out;
    for (const auto& [name, value] : it->items()) out.push_back(name);
    return out;
  }
  void problem(const std::string& at, const std::string& message, bool at_key) override {
    l_.problem(at, message, at_key);
  }
  const std::vector<Step>& earlier() const override { return sc_.steps; }
  std::optional<std::chrono::milliseconds> scenario_timeout() const override {
    if (!timeout_.known) return std::nullopt;
    return sc_.timeout;
  }
  const std::string& scenario_timeout_note() const override { return timeout_.note; }
  void check_server(const Step& s, std::initializer_list<const char*> schemes) override {
    l_.check_server(f_, s, where_, schemes);
  }
  void check_account(const Step& s) override { l_.check_account(f_, s, where_); }
  void check_plaintext_auth(const Step& s) override { l_.check_plaintext_auth(f_, s, where_); }

 private:
  Loader& l_;
  const json& sj_;
  const std::string where_;
  const File& f_;
  const Scenario& sc_;
  const ScenarioTimeout& timeout_;
};

namespace {

Names kind_names() {
  Names out;
  for (const StepKind* k : step_kinds()) out.emplace_back(k->name());
  return out;
}

bool lists(const StepKind& kind, std::string_view key) {
  for (const auto& k : kind.keys())
    if (k.name == key) return true;
  return false;
}

}  // namespace

// A key of another kind gets that kind named, as the likelier slip; any other key the kind does
// not list is unknown, with the kind's own keys to choose from.
void Loader::unknown_step_keys(const json& sj, const std::string& where, const StepKind& kind) {
  Names own;
  for (const auto& k : kind.keys()) own.emplace_back(k.name);
  for (const auto& [key, value] : sj.items()) {
    if (std::find(own.begin(), own.end(), key) != own.end()) continue;
    // Every kind that takes it, in the registry's order, and what it does in the first.
    std::string owners;
    const KeySpec* spec = nullptr;
    for (const StepKind* other : step_kinds())
      for (const auto& k : other->keys())
        if (k.name == key) {
          owners += (owners.empty() ? "" : ", ") + std::string(other->name());
          if (spec == nullptr) spec = &k;
        }
    if (spec != nullptr)
      problem(where + "." + key,
              "\"" + key + "\" belongs to " + owners + ": it " + std::string(spec->what) +
                  "; remove it here",
              /*at_key=*/true);
    else
      problem(where + "." + key,
              "unknown key \"" + key + "\"" + suggestion(key, own, "known keys here", ""),
              /*at_key=*/true);
  }
}

// The keys every kind shares are read here, when the kind lists them; the rest is the kind's.
void Loader::load_step(const json& sj, const std::string& where, const File& f, Scenario& sc,
                       const ScenarioTimeout& sc_timeout) {
  if (!sj.is_object()) {
    problem(where, "must be an object with a \"step\"");
    return;
  }
  const Names known_steps = kind_names();
  Step s;
  s.path = where;
  auto kind_name = get_string(sj, "step", where);
  if (!kind_name) {
    if (!sj.contains("step")) problem(where, "needs a \"step\", one of " + join(known_steps));
    return;
  }
  s.kind = *kind_name;
  s.type = find_step_kind(s.kind);
  if (s.type == nullptr) {
    problem(where + ".step",
            "unknown step \"" + s.kind + "\"" + suggestion(s.kind, known_steps, "known steps", ""));
    return;
  }
  const StepKind& kind = *s.type;
  unknown_step_keys(sj, where, kind);
  if (lists(kind, "server"))
    if (auto v = get_string(sj, "server", where)) s.server = *v;
  if (lists(kind, "account"))
    if (auto v = get_string(sj, "account", where)) s.account = *v;
  if (lists(kind, "session")) {
    if (auto v = get_string(sj, "session", where)) {
      if (*v == "new")
        s.new_session = true;
      else if (*v != "shared")
        problem(where + ".session",
                "must be \"new\" (a login of its own) or \"shared\" (the default: the "
                "scenario's session to this server and account)");
    }
  }
  s.timeout = get_duration(sj, "timeout", where);
  s.warn = get_duration(sj, "warn", where);
  s.crit = get_duration(sj, "crit", where);
  if (s.warn && s.crit && *s.warn > *s.crit)
    problem(where + ".warn", "warn " + format_duration(*s.warn) + " is longer than crit " +
                                 format_duration(*s.crit) +
                                 "; warn is the lower threshold: lower warn or raise crit");
  if (s.timeout && sc_timeout.known && *s.timeout > sc.timeout)
    problem(where + ".timeout", "step timeout " + format_duration(*s.timeout) +
                                    " is longer than the scenario timeout " +
                                    format_duration(sc.timeout) + sc_timeout.note +
                                    ", which bounds all of its steps; shorten the step "
                                    "timeout or lengthen the scenario timeout");
  StepReader in(*this, sj, where, f, sc, sc_timeout);
  kind.load(in, s);
  if (s.keys && kind.probe_mailbox(f, s))
    for (const Step& e : sc.steps)
      if (e.keys && e.type->expects_refusal(e))
        problem(where, s.kind + " waits for the probe that " + e.path + " (" + e.kind +
                           ") expects the server to refuse, so it is never sent; remove this "
                           "step, or the \"expect\" of the " +
                           e.kind);
  sc.steps.push_back(std::move(s));
}

// Credentials never cross a connection without TLS unless the file says so for that server.
// With starttls "off" that is certain before anything is sent; "optional" is decided by the
// server's offer, at run time.
void Loader::check_plaintext_auth(const File& f, const Step& s, const std::string& where) {
  if (s.account.empty() || !f.accounts.count(s.account)) return;
  auto it = f.servers.find(s.server);
  if (it == f.servers.end()) return;
  const Server& server = it->second;
  if (server.implicit_tls || server.starttls != StartTls::off || server.allow_plaintext_auth)
    return;
  problem(where + ".account",
          s.kind + " logs in to \"" + s.server +
              "\", whose \"starttls\" is \"off\": the password would cross the connection "
              "unencrypted; use \"starttls\": \"required\" (or an smtps/imaps URL), or set "
              "\"allow_plaintext_auth\": true on the server if that is really intended");
}

// A probe that imap.wait found and no imap.delete removes stays in the mailbox; unless the
// file says that is intended, later runs delete it and every run says so.
void Loader::warn_probes_left_behind(const File& f, const Scenario& sc) {
  const Step* waiting = nullptr;
  for (const Step& s : sc.steps) {
    if (waiting != nullptr && s.kind == waiting->type->remover()) waiting = nullptr;
    if (!s.keys) continue;
    auto mailbox = s.type->probe_mailbox(f, s);
    if (mailbox && !mailbox->keep) waiting = &s;
  }
  if (waiting == nullptr) return;
  const std::string finder(waiting->kind);
  const std::string remover(waiting->type->remover());
  const char* article = remover.front() == 'i' ? " without an " : " without a ";
  warning(waiting->path, finder + article + remover +
                             " after it leaves the probe in the mailbox; later runs delete it; "
                             "add {\"step\": \"" +
                             remover + "\"} after it, or \"keep\": true on the " + finder +
                             " if probes are meant to stay");
}

void Loader::load_scenarios(const json& root, milliseconds default_timeout,
                            const ScenarioTimeout& default_source, File& f) {
  auto it = root.find("scenarios");
  if (it == root.end() || !it->is_array() || it->empty()) {
    problem("scenarios", "must be a list with at least one scenario");
    return;
  }
  std::map<std::string, std::string> names;  // name -> where it was first given
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& sj = (*it)[i];
    const std::string where = "scenarios[" + std::to_string(i) + "]";
    if (!sj.is_object()) {
      problem(where, "must be an object with \"name\" and \"steps\"");
      continue;
    }
    known_keys(sj, where, {"name", "timeout", "steps"});
    Scenario sc;
    sc.file = path_;
    sc.path = where;
    sc.timeout = default_timeout;
    if (auto n = get_string(sj, "name", where))
      sc.name = *n;
    else if (!sj.contains("name"))
      problem(where, "needs a \"name\"");
    if (!sc.name.empty()) {
      const auto [first, fresh] = names.emplace(sc.name, where);
      if (!fresh)
        problem(where + ".name", "scenario name \"" + sc.name + "\" is already used by " +
                                     first->second +
                                     "; --scenario picks scenarios by name, so give each "
                                     "its own");
    }
    ScenarioTimeout timeout = default_source;
    if (sj.contains("timeout")) {
      timeout = {false, ""};
      if (auto d = get_duration(sj, "timeout", where)) {
        sc.timeout = *d;
        timeout.known = true;
      }
    }
    if (opts_.every && timeout.known && sc.timeout > *opts_.every)
      problem(sj.contains("timeout") ? where + ".timeout" : where,
              "scenario timeout " + format_duration(sc.timeout) + timeout.note +
                  " is longer than the --every interval " + format_duration(*opts_.every) +
                  "; rounds would overlap: lengthen --every or shorten the timeout");
    auto steps = sj.find("steps");
    if (steps == sj.end() || !steps->is_array() || steps->empty()) {
      problem(where + ".steps", "must be a list of steps");
      continue;
    }
    for (std::size_t k = 0; k < steps->size(); ++k)
      load_step((*steps)[k], where + ".steps[" + std::to_string(k) + "]", f, sc, timeout);
    warn_probes_left_behind(f, sc);
    f.scenarios.push_back(std::move(sc));
  }
}

}  // namespace mc::scn
