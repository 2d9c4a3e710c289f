#include "scenarios/scenario.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "probe/clock.hpp"
#include "scenarios/jsonc.hpp"

namespace mc::scn {

std::string Problem::format() const {
  return file + (where.empty() ? "" : ": " + where) + ": " + message;
}

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::set<std::string> kKnownSteps = {"smtp.send", "imap.wait", "imap.delete"};

struct DefaultPort {
  const char* scheme;
  std::uint16_t port;
  bool implicit_tls;
};
constexpr DefaultPort kSchemes[] = {
    {"smtp", 25, false},  {"smtps", 465, true}, {"imap", 143, false}, {"imaps", 993, true},
    {"pop3", 110, false}, {"pop3s", 995, true}, {"http", 80, false},  {"https", 443, true},
};

class Loader {
 public:
  Loader(std::string path, const LoadOptions& opts, std::vector<Problem>& problems)
      : path_(std::move(path)), opts_(opts), problems_(problems) {
    dir_ = fs::path(path_).parent_path();
  }

  std::optional<File> load() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      problem("", "cannot read the file: " + std::string(std::strerror(errno)));
      return std::nullopt;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    ParseError pe;
    auto doc = parse_jsonc(ss.str(), pe);
    if (!doc) {
      problem("line " + std::to_string(pe.line) + ", column " + std::to_string(pe.column),
              "not valid JSON: " + pe.message);
      return std::nullopt;
    }
    if (!doc->is_object()) {
      problem("",
              "the file must hold one JSON object with \"version\", \"servers\" and "
              "\"scenarios\"");
      return std::nullopt;
    }
    return load_root(*doc);
  }

 private:
  void problem(const std::string& where, const std::string& message) {
    problems_.push_back({path_, where, message});
  }

  void known_keys(const json& obj, const std::string& where, const std::set<std::string>& keys) {
    for (const auto& [key, value] : obj.items()) {
      if (keys.count(key)) continue;
      std::string list;
      for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
      problem(where.empty() ? key : where + "." + key,
              "unknown key \"" + key + "\"; known keys here: " + list);
    }
  }

  std::optional<std::string> get_string(const json& obj, const std::string& key,
                                        const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    if (!it->is_string()) {
      problem(where + "." + key, "must be a string");
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  std::optional<milliseconds> get_duration(const json& obj, const std::string& key,
                                           const std::string& where) {
    auto s = get_string(obj, key, where);
    if (!s) return std::nullopt;
    milliseconds d{};
    if (!parse_duration(*s, d) || d.count() == 0) {
      problem(where + "." + key, "\"" + *s +
                                     "\" is not a duration; write it like \"250ms\", \"10s\", "
                                     "\"2m\" or \"1h\"");
      return std::nullopt;
    }
    return d;
  }

  std::string resolve_path(const std::string& p) const {
    if (p.empty() || fs::path(p).is_absolute()) return p;
    return (dir_ / p).lexically_normal().string();
  }

  void load_tls(const json& j, const std::string& where, Tls& tls) {
    if (!j.is_object()) {
      problem(where, "must be an object like {\"ca_file\": \"ca.pem\"}");
      return;
    }
    known_keys(j, where, {"ca_file", "server_name", "verify", "min_version"});
    if (auto s = get_string(j, "ca_file", where)) {
      tls.ca_file = resolve_path(*s);
      std::error_code ec;
      if (!fs::is_regular_file(tls.ca_file, ec))
        problem(where + ".ca_file",
                "no such file: " + tls.ca_file + " (paths are relative to the scenario file)");
    }
    if (auto s = get_string(j, "server_name", where)) tls.server_name = *s;
    if (auto s = get_string(j, "min_version", where)) {
      if (*s != "1.2" && *s != "1.3" && *s != "TLSv1.2" && *s != "TLSv1.3")
        problem(where + ".min_version", "must be \"1.2\" or \"1.3\"");
      tls.min_version = *s;
    }
    if (auto it = j.find("verify"); it != j.end()) {
      if (!it->is_boolean())
        problem(where + ".verify", "must be true or false");
      else
        tls.verify = it->get<bool>();
    }
  }

  std::optional<StartTls> parse_starttls(const json& obj, const std::string& where) {
    auto s = get_string(obj, "starttls", where);
    if (!s) return std::nullopt;
    if (*s == "required") return StartTls::required;
    if (*s == "optional") return StartTls::optional;
    if (*s == "off") return StartTls::off;
    problem(where + ".starttls",
            "\"" + *s + "\" is not one of \"required\", \"optional\", \"off\"");
    return std::nullopt;
  }

  File load_root(const json& root) {
    File f;
    f.path = path_;
    known_keys(root, "", {"version", "vantage", "defaults", "servers", "accounts", "scenarios"});
    if (auto it = root.find("version"); it == root.end() || *it != 1)
      problem("version", "must be 1 (write \"version\": 1 at the top of the file)");
    if (auto v = get_string(root, "vantage", "")) f.vantage = *v;

    Tls default_tls;
    milliseconds default_timeout{60'000};
    if (auto it = root.find("defaults"); it != root.end()) {
      if (!it->is_object()) {
        problem("defaults", "must be an object");
      } else {
        known_keys(*it, "defaults", {"timeout", "tls"});
        if (auto d = get_duration(*it, "timeout", "defaults")) default_timeout = *d;
        if (auto t = it->find("tls"); t != it->end()) load_tls(*t, "defaults.tls", default_tls);
      }
    }
    load_servers(root, default_tls, f);
    load_accounts(root, f);
    load_scenarios(root, default_timeout, f);
    return f;
  }

  void load_servers(const json& root, const Tls& default_tls, File& f) {
    auto it = root.find("servers");
    if (it == root.end() || !it->is_object() || it->empty()) {
      problem("servers",
              "must be an object naming at least one server, e.g. "
              "{\"store\": {\"url\": \"imaps://mail.example.test\"}}");
      return;
    }
    for (const auto& [name, sj] : it->items()) {
      const std::string where = "servers." + name;
      if (!sj.is_object()) {
        problem(where, "must be an object with a \"url\"");
        continue;
      }
      known_keys(sj, where, {"url", "starttls", "tls"});
      Server s;
      s.name = name;
      s.tls = default_tls;
      auto url = get_string(sj, "url", where);
      if (!url) {
        problem(where, "needs a \"url\" such as \"smtp://mail.example.test:587\"");
        continue;
      }
      if (auto err = parse_server_url(*url, s)) {
        problem(where + ".url", *err);
        continue;
      }
      if (auto st = parse_starttls(sj, where)) s.starttls = *st;
      if (auto t = sj.find("tls"); t != sj.end()) load_tls(*t, where + ".tls", s.tls);
      f.servers.emplace(name, std::move(s));
    }
  }

  std::optional<std::string> read_secret_file(const std::string& p, const std::string& where) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      problem(where, "cannot read secret file " + p + ": " + std::strerror(errno));
      return std::nullopt;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
      problem(where, "secret file " + p + " can be read by others; run: chmod 600 " + p);
      return std::nullopt;
    }
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      problem(where, "cannot read secret file " + p + ": " + std::strerror(errno));
      return std::nullopt;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    // One trailing newline is how editors and `echo` leave files; it is not part of the secret.
    if (!s.empty() && s.back() == '\n') s.pop_back();
    if (!s.empty() && s.back() == '\r') s.pop_back();
    return s;
  }

  void load_password(const json& pj, const std::string& where, Account& a) {
    if (!pj.is_object() || pj.size() != 1) {
      problem(where,
              "must be {\"env\": \"VARIABLE\"} or {\"file\": \"path\"}; passwords are never "
              "written into scenario files");
      return;
    }
    if (auto env = get_string(pj, "env", where)) {
      a.password_source = "environment variable " + *env;
      if (!opts_.resolve_secrets) return;
      const char* v = std::getenv(env->c_str());
      if (v == nullptr)
        problem(where + ".env", "environment variable " + *env +
                                    " is not set; export it before "
                                    "running, e.g. export " +
                                    *env + "=...");
      else
        a.password = v;
    } else if (auto file = get_string(pj, "file", where)) {
      const std::string p = resolve_path(*file);
      a.password_source = "file " + p;
      if (auto s = read_secret_file(p, where + ".file")) a.password = *s;
    } else if (pj.contains("oauth2_token_file")) {
      problem(where + ".oauth2_token_file",
              "OAuth2 tokens are not supported yet; use \"env\" or "
              "\"file\"");
    } else {
      problem(where, "must be {\"env\": \"VARIABLE\"} or {\"file\": \"path\"}");
    }
  }

  void load_accounts(const json& root, File& f) {
    auto it = root.find("accounts");
    if (it == root.end()) return;
    if (!it->is_object()) {
      problem("accounts", "must be an object of named accounts");
      return;
    }
    for (const auto& [name, aj] : it->items()) {
      const std::string where = "accounts." + name;
      if (!aj.is_object()) {
        problem(where, "must be an object with \"user\" and \"password\"");
        continue;
      }
      known_keys(aj, where, {"user", "password"});
      Account a;
      a.name = name;
      if (auto u = get_string(aj, "user", where))
        a.user = *u;
      else
        problem(where, "needs a \"user\"");
      if (auto p = aj.find("password"); p != aj.end())
        load_password(*p, where + ".password", a);
      else
        problem(where, "needs a \"password\", e.g. {\"env\": \"PROBE_PASSWORD\"}");
      f.accounts.emplace(name, std::move(a));
    }
  }

  void check_server(const File& f, const Step& s, const std::string& where,
                    std::initializer_list<const char*> schemes) {
    auto it = f.servers.find(s.server);
    if (it == f.servers.end()) {
      std::string names;
      for (const auto& [n, _] : f.servers) names += (names.empty() ? "" : ", ") + n;
      problem(where + ".server", "no server named \"" + s.server + "\"; servers: " + names);
      return;
    }
    for (const char* sc : schemes)
      if (it->second.scheme == sc) return;
    std::string want;
    for (const char* sc : schemes) want += (want.empty() ? "" : " or ") + std::string(sc) + "://";
    problem(where + ".server",
            s.kind + " needs a " + want + " server, \"" + s.server + "\" is " + it->second.url);
  }

  void check_account(const File& f, const Step& s, const std::string& where) {
    if (f.accounts.count(s.account)) return;
    problem(where + ".account", "no account named \"" + s.account + "\"");
  }

  void load_step(const json& sj, const std::string& where, const File& f, Scenario& sc,
                 const Step* last_wait) {
    if (!sj.is_object()) {
      problem(where, "must be an object with a \"step\"");
      return;
    }
    Step s;
    s.path = where;
    auto kind = get_string(sj, "step", where);
    if (!kind) {
      problem(where, "needs a \"step\", one of smtp.send, imap.wait, imap.delete");
      return;
    }
    s.kind = *kind;
    if (!kKnownSteps.count(s.kind)) {
      problem(where + ".step",
              "unknown step \"" + s.kind + "\"; known steps: smtp.send, imap.wait, imap.delete");
      return;
    }
    known_keys(sj, where,
               {"step", "server", "account", "from", "to", "ehlo", "mailbox", "poll_interval",
                "timeout", "warn", "crit"});
    if (auto v = get_string(sj, "server", where)) s.server = *v;
    if (auto v = get_string(sj, "account", where)) s.account = *v;
    if (auto v = get_string(sj, "from", where)) s.from = *v;
    if (auto v = get_string(sj, "ehlo", where)) s.ehlo = *v;
    if (auto v = get_string(sj, "mailbox", where)) s.mailbox = *v;
    if (auto d = get_duration(sj, "poll_interval", where)) s.poll_interval = *d;
    s.timeout = get_duration(sj, "timeout", where);
    s.warn = get_duration(sj, "warn", where);
    s.crit = get_duration(sj, "crit", where);
    if (auto it = sj.find("to"); it != sj.end()) {
      if (it->is_string()) {
        s.to.push_back(it->get<std::string>());
      } else if (it->is_array() && !it->empty()) {
        for (const auto& r : *it) {
          if (r.is_string())
            s.to.push_back(r.get<std::string>());
          else
            problem(where + ".to", "recipients must be strings");
        }
      } else {
        problem(where + ".to", "must be an address or a list of addresses");
      }
    }
    if (s.warn && s.crit && *s.warn > *s.crit)
      problem(where + ".warn", "warn (" + format_duration(*s.warn) + ") is above crit (" +
                                   format_duration(*s.crit) + ")");
    if (s.timeout && *s.timeout > sc.timeout)
      problem(where + ".timeout", "step timeout " + format_duration(*s.timeout) +
                                      " is longer than the scenario timeout " +
                                      format_duration(sc.timeout));

    if (s.kind == "smtp.send") {
      if (s.server.empty())
        problem(where, "smtp.send needs a \"server\"");
      else
        check_server(f, s, where, {"smtp", "smtps"});
      if (!s.account.empty()) check_account(f, s, where);
      if (s.from.empty() && !s.account.empty() && f.accounts.count(s.account))
        s.from = f.accounts.at(s.account).user;
      if (s.from.empty()) problem(where, "smtp.send needs \"from\" (or an \"account\")");
      if (s.to.empty() && !s.account.empty() && f.accounts.count(s.account))
        s.to.push_back(f.accounts.at(s.account).user);
      if (s.to.empty()) problem(where, "smtp.send needs \"to\"");
    } else {
      // imap.delete works on what the preceding imap.wait found, on the same mailbox.
      if (s.kind == "imap.delete" && last_wait != nullptr) {
        if (s.server.empty()) s.server = last_wait->server;
        if (s.account.empty()) s.account = last_wait->account;
        if (!sj.contains("mailbox")) s.mailbox = last_wait->mailbox;
      }
      if (s.kind == "imap.delete" && last_wait == nullptr)
        problem(where,
                "imap.delete deletes what an earlier imap.wait found; add an imap.wait "
                "step before it");
      if (s.server.empty())
        problem(where, s.kind + " needs a \"server\"");
      else
        check_server(f, s, where, {"imap", "imaps"});
      if (s.account.empty())
        problem(where, s.kind + " needs an \"account\"");
      else
        check_account(f, s, where);
    }
    sc.steps.push_back(std::move(s));
  }

  void load_scenarios(const json& root, milliseconds default_timeout, File& f) {
    auto it = root.find("scenarios");
    if (it == root.end() || !it->is_array() || it->empty()) {
      problem("scenarios", "must be a list with at least one scenario");
      return;
    }
    std::set<std::string> names;
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
      sc.timeout = default_timeout;
      if (auto n = get_string(sj, "name", where))
        sc.name = *n;
      else
        problem(where, "needs a \"name\"");
      if (!sc.name.empty() && !names.insert(sc.name).second)
        problem(where + ".name", "duplicate scenario name \"" + sc.name + "\"");
      if (auto d = get_duration(sj, "timeout", where)) sc.timeout = *d;
      auto steps = sj.find("steps");
      if (steps == sj.end() || !steps->is_array() || steps->empty()) {
        problem(where + ".steps", "must be a list of steps");
        continue;
      }
      const Step* last_wait = nullptr;
      for (std::size_t k = 0; k < steps->size(); ++k) {
        load_step((*steps)[k], where + ".steps[" + std::to_string(k) + "]", f, sc, last_wait);
        if (!sc.steps.empty() && sc.steps.back().kind == "imap.wait") last_wait = &sc.steps.back();
      }
      f.scenarios.push_back(std::move(sc));
    }
  }

  std::string path_;
  fs::path dir_;
  const LoadOptions& opts_;
  std::vector<Problem>& problems_;
};

}  // namespace

std::optional<std::string> parse_server_url(const std::string& url, Server& out) {
  const auto sep = url.find("://");
  if (sep == std::string::npos)
    return "\"" + url + "\" is not a URL; write it like \"smtp://mail.example.test:587\"";
  out.url = url;
  out.scheme = url.substr(0, sep);
  const DefaultPort* scheme = nullptr;
  for (const auto& d : kSchemes)
    if (out.scheme == d.scheme) scheme = &d;
  if (scheme == nullptr)
    return "unknown scheme \"" + out.scheme +
           "\"; use smtp, smtps, imap, imaps, pop3, pop3s, "
           "http or https";
  std::string rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find('/'));
  if (rest.find('@') != std::string::npos)
    return "credentials do not belong in the URL; use \"accounts\" with a password from env or "
           "file";
  std::string port;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string::npos) return "unclosed '[' in IPv6 address";
    out.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return "expected ':' after ']'";
      port = rest.substr(close + 2);
    }
  } else {
    const auto colon = rest.find(':');
    out.host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  if (out.host.empty()) return "the URL has no host";
  out.port = scheme->port;
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) == 0 || std::stoi(port) > 65535)
      return "\"" + port + "\" is not a port number (1-65535)";
    out.port = static_cast<std::uint16_t>(std::stoi(port));
  }
  out.implicit_tls = scheme->implicit_tls;
  return std::nullopt;
}

Loaded load_files(const std::vector<std::string>& paths, const LoadOptions& options) {
  Loaded out;
  std::set<std::string> scenario_names;
  for (const auto& p : paths) {
    Loader loader(p, options, out.problems);
    auto f = loader.load();
    if (!f) continue;
    for (const auto& sc : f->scenarios)
      if (!sc.name.empty() && !scenario_names.insert(sc.name).second && paths.size() > 1)
        out.problems.push_back(
            {p, "", "scenario \"" + sc.name + "\" is also defined in another file"});
    out.files.push_back(std::move(*f));
  }
  return out;
}

}  // namespace mc::scn
