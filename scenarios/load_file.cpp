#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "scenarios/loader.hpp"

namespace mc::scn {

void Loader::load_tls(const json& j, const std::string& where, Tls& tls) {
  if (!j.is_object()) {
    problem(where, "must be an object like {\"ca_file\": \"ca.pem\"}");
    return;
  }
  known_keys(j, where,
             {"ca_file", "server_name", "verify", "min_version", "expiry_warn", "expiry_crit"});
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
  tls.expiry_warn = get_duration(j, "expiry_warn", where);
  tls.expiry_crit = get_duration(j, "expiry_crit", where);
}

namespace {

// "21d" for whole days, as such thresholds are written; else "36h", "90m".
std::string days_or_duration(milliseconds d) {
  if (d.count() % 86'400'000 == 0) return std::to_string(d.count() / 86'400'000) + "d";
  return format_duration(d);
}

}  // namespace

void Loader::check_expiry_order(const Tls& tls, const std::string& where, bool warn_inherited,
                                bool crit_inherited) {
  if (!tls.expiry_warn || !tls.expiry_crit || *tls.expiry_crit < *tls.expiry_warn) return;
  if (warn_inherited && crit_inherited) return;  // defaults.tls has the problem, and says so
  const char* from = " (from defaults.tls)";
  problem(where + (crit_inherited ? ".expiry_warn" : ".expiry_crit"),
          "expiry_crit " + days_or_duration(*tls.expiry_crit) + (crit_inherited ? from : "") +
              " is not below expiry_warn " + days_or_duration(*tls.expiry_warn) +
              (warn_inherited ? from : "") +
              ": crit is the fewer days left, so lower expiry_crit or raise expiry_warn");
}

void Loader::inherit_expiry(const json* own, const Tls& defaults, const std::string& where,
                            Server& s) {
  if (own == nullptr || !own->is_object()) return;  // defaults.tls as a whole, checked there
  // Thresholds only add a check, so a server's own tls keeps those of defaults.tls it does not
  // set, unlike its trust settings.
  const bool warn_inherited = !s.tls.expiry_warn && defaults.expiry_warn;
  const bool crit_inherited = !s.tls.expiry_crit && defaults.expiry_crit;
  if (warn_inherited) s.tls.expiry_warn = defaults.expiry_warn;
  if (crit_inherited) s.tls.expiry_crit = defaults.expiry_crit;
  check_expiry_order(s.tls, where + ".tls", warn_inherited, crit_inherited);
  if (s.implicit_tls || s.starttls != StartTls::off) return;
  for (const char* key : {"expiry_warn", "expiry_crit"})
    if (own->contains(key)) {
      problem(where + ".tls." + key,
              "this server's \"starttls\" is \"off\": its connections carry no certificate to "
              "check; remove the expiry thresholds, or set \"starttls\" to \"required\"");
      return;
    }
}

std::optional<StartTls> Loader::parse_starttls(const json& obj, const std::string& where) {
  auto s = get_string(obj, "starttls", where);
  if (!s) return std::nullopt;
  if (auto value = value_named(kStartTlsNames, *s)) return value;
  std::string names;
  for (const auto& entry : kStartTlsNames)
    names += (names.empty() ? "\"" : ", \"") + std::string(entry.second) + "\"";
  problem(where + ".starttls", "\"" + *s + "\" is not one of " + names);
  return std::nullopt;
}

File Loader::load_root(const json& root) {
  File f;
  f.path = path_;
  known_keys(
      root, "",
      {"version", "vantage", "defaults", "dns", "servers", "accounts", "scenarios", "reporters"});
  if (auto it = root.find("version"); it == root.end() || *it != 1)
    problem("version", "must be 1 (write \"version\": 1 at the top of the file)");
  if (auto v = get_string(root, "vantage", "")) f.vantage = *v;

  Tls default_tls;
  milliseconds default_timeout{60'000};
  ScenarioTimeout default_source{true, " (the default)"};
  if (auto it = root.find("defaults"); it != root.end()) {
    if (!it->is_object()) {
      problem("defaults", "must be an object");
    } else {
      known_keys(*it, "defaults", {"timeout", "tls"});
      if (it->contains("timeout")) {
        default_source = {false, " (from defaults.timeout)"};
        if (auto d = get_duration(*it, "timeout", "defaults")) {
          default_timeout = *d;
          default_source.known = true;
        }
      }
      if (auto t = it->find("tls"); t != it->end()) {
        load_tls(*t, "defaults.tls", default_tls);
        check_expiry_order(default_tls, "defaults.tls", false, false);
        f.default_tls = default_tls;
      }
    }
  }
  load_dns(root, f);
  load_servers(root, default_tls, f);
  load_accounts(root, f);
  load_scenarios(root, default_timeout, default_source, f);
  load_reporters(root, f);
  return f;
}

void Loader::load_reporters(const json& root, File& f) {
  auto it = root.find("reporters");
  if (it == root.end()) return;
  static const Names kTypes = {"json", "jsonl",  "textfile",   "junit",
                               "html", "nagios", "pushgateway"};
  if (!it->is_array()) {
    problem("reporters",
            "must be a list like [{\"type\": \"textfile\", \"path\": "
            "\"/var/lib/node_exporter/mailcanary.prom\"}]");
    return;
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& rj = (*it)[i];
    const std::string where = "reporters[" + std::to_string(i) + "]";
    if (!rj.is_object()) {
      problem(where, "must be an object with a \"type\"");
      continue;
    }
    ReporterSpec r;
    auto type = get_string(rj, "type", where);
    if (!type) {
      if (!rj.contains("type"))
        problem(where,
                "needs a \"type\": one of json, jsonl, textfile, junit, html, nagios, "
                "pushgateway");
      continue;
    }
    r.type = *type;
    if (std::find(kTypes.begin(), kTypes.end(), r.type) == kTypes.end()) {
      problem(where + ".type", "unknown reporter \"" + r.type + "\"" +
                                   suggestion(r.type, kTypes, "known reporters", ""));
      continue;
    }
    for (const auto& earlier : f.reporters)
      if (earlier.type == r.type)
        problem(where + ".type", "a second " + r.type + " reporter; give each type once");
    if (r.type == "pushgateway") {
      known_keys(rj, where, {"type", "url", "ca_file", "basic_auth_file", "token_file", "timeout"});
      if (auto u = get_string(rj, "url", where)) r.url = *u;
      if (r.url.rfind("http://", 0) != 0 && r.url.rfind("https://", 0) != 0)
        problem(where + (rj.contains("url") ? ".url" : ""),
                "needs the Pushgateway's \"url\", like \"http://pushgateway:9091\"");
      else if (Server parsed; auto err = parse_server_url(r.url, parsed))
        problem(where + ".url", err->rfind("credentials", 0) == 0
                                    ? "credentials do not belong in the URL; put user:password "
                                      "into a file named by \"basic_auth_file\""
                                    : *err);
      if (auto c = get_string(rj, "ca_file", where)) r.ca_file = resolve_path(*c);
      if (auto a = get_string(rj, "basic_auth_file", where)) {
        if (auto v = read_secret_file(resolve_path(*a), where + ".basic_auth_file")) {
          if (v->find(':') == std::string::npos)
            problem(where + ".basic_auth_file", "the file must hold user:password");
          else
            r.basic_auth = *v;
        }
      }
      if (auto t = get_string(rj, "token_file", where)) {
        if (auto v = read_secret_file(resolve_path(*t), where + ".token_file")) r.bearer_token = *v;
      }
      r.timeout = get_duration(rj, "timeout", where);
    } else if (r.type == "nagios") {
      known_keys(rj, where, {"type"});
    } else {
      known_keys(rj, where, {"type", "path"});
      if (auto p = get_string(rj, "path", where)) r.path = resolve_path(*p);
      if (r.path.empty())
        problem(where, "needs a \"path\" to write to");
      else if (r.type == "textfile" &&
               (r.path.size() < 6 || r.path.compare(r.path.size() - 5, 5, ".prom") != 0))
        problem(where + ".path", "must end in .prom: node_exporter reads only *.prom files");
    }
    f.reporters.push_back(std::move(r));
  }
}

void Loader::load_servers(const json& root, const Tls& default_tls, File& f) {
  auto it = root.find("servers");
  if (it == root.end() || !it->is_object() || it->empty()) {
    problem("servers",
            "must be an object naming at least one server, e.g. "
            "{\"store\": {\"url\": \"imaps://mail.example.test\"}}");
    return;
  }
  for (const auto& [name, sj] : it->items()) {
    const std::string where = "servers." + name;
    declared_servers_.push_back(name);
    if (!sj.is_object()) {
      problem(where, "must be an object with a \"url\"");
      continue;
    }
    known_keys(sj, where, {"url", "starttls", "tls", "allow_plaintext_auth", "ip"});
    Server s;
    s.name = name;
    // A server's own "tls" replaces defaults.tls as a whole: a server that names only its CA
    // must not inherit the defaults' "verify": false.
    s.tls = sj.contains("tls") ? Tls{} : default_tls;
    auto url = get_string(sj, "url", where);
    if (!url) {
      if (!sj.contains("url"))
        problem(where, "needs a \"url\" such as \"smtp://mail.example.test:587\"");
      continue;
    }
    if (auto err = parse_server_url(*url, s)) {
      problem(where + ".url", *err);
      continue;
    }
    if (auto st = parse_starttls(sj, where)) s.starttls = *st;
    load_server_ip(sj, where, s);
    if (auto t = sj.find("tls"); t != sj.end()) {
      load_tls(*t, where + ".tls", s.tls);
      // "tls": {} says the system trust store on purpose; a block with other keys may not.
      if (!default_tls.ca_file.empty() && s.tls.ca_file.empty() && s.tls.verify && t->is_object() &&
          !t->empty())
        warning(where + ".tls",
                "this server's own tls replaces defaults.tls as a whole, so it is verified "
                "against the system trust store, not defaults.tls.ca_file; add \"ca_file\" "
                "here if that CA signed its certificate");
    }
    if (auto t = sj.find("tls"); t != sj.end()) inherit_expiry(&*t, default_tls, where, s);
    if (auto a = sj.find("allow_plaintext_auth"); a != sj.end()) {
      if (!a->is_boolean())
        problem(where + ".allow_plaintext_auth", "must be true or false");
      else
        s.allow_plaintext_auth = a->get<bool>();
    }
    if (!s.tls.verify && (s.implicit_tls || s.starttls != StartTls::off))
      warning(sj.contains("tls") ? where + ".tls.verify" : where,
              std::string("TLS certificate verification is off") +
                  (sj.contains("tls") ? "" : " (from defaults.tls)") +
                  ": a forged certificate would go unnoticed; give the CA in tls.ca_file "
                  "instead");
    if (s.allow_plaintext_auth && !s.implicit_tls)
      warning(where + ".allow_plaintext_auth",
              "credentials may be sent without TLS to this server whenever STARTTLS is not "
              "in effect; anyone on the path could read them");
    f.servers.emplace(name, std::move(s));
  }
}

std::optional<std::string> Loader::read_secret_file(const std::string& p,
                                                    const std::string& where) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    problem(where, "cannot read secret file " + p + ": " + std::strerror(errno) +
                       "; check the path (relative paths start at the scenario file)");
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    problem(where, "secret file " + p +
                       " is not a regular file; point \"file\" at the file that holds the "
                       "password");
    return std::nullopt;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    problem(where, "secret file " + p + " is open to other users (mode " + mode +
                       "); run: chmod 600 " + p);
    return std::nullopt;
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    problem(where, "cannot read secret file " + p + ": " + std::strerror(errno) +
                       "; it must be readable by the user mailcanary runs as");
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  // One trailing newline is how editors and `echo` leave files; it is not part of the secret.
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
  if (s.empty()) {
    problem(where, "secret file " + p + " is empty; write the password into it");
    return std::nullopt;
  }
  return s;
}

void Loader::load_password(const json& pj, const std::string& where, Account& a) {
  if (!pj.is_object() || pj.size() != 1) {
    problem(where,
            "must be {\"env\": \"VARIABLE\"}, {\"file\": \"path\"} or "
            "{\"oauth2_token_file\": \"path\"}; passwords are never written into scenario files");
    return;
  }
  const std::string key = pj.begin().key();
  if (key != "env" && key != "file" && key != "oauth2_token_file") {
    known_keys(pj, where, {"env", "file", "oauth2_token_file"});
    return;
  }
  if (auto env = get_string(pj, "env", where)) {
    a.password_source = "environment variable " + *env;
    if (!opts_.resolve_secrets) return;
    const char* v = std::getenv(env->c_str());
    if (v == nullptr)
      problem(where + ".env", "environment variable " + *env +
                                  " is not set; export it before running, e.g. export " + *env +
                                  "=...");
    else if (*v == '\0')
      problem(where + ".env", "environment variable " + *env + " is empty; set it to the password");
    else
      a.password = v;
  } else if (auto file = get_string(pj, "file", where)) {
    const std::string p = resolve_path(*file);
    a.password_source = "file " + p;
    if (auto s = read_secret_file(p, where + ".file")) a.password = *s;
  } else if (auto token = get_string(pj, "oauth2_token_file", where)) {
    const std::string p = resolve_path(*token);
    a.password_source = "OAuth 2.0 token file " + p;
    a.oauth2 = true;
    a.token_file = p;
    if (auto s = read_secret_file(p, where + ".oauth2_token_file")) a.password = *s;
  }
}

void Loader::load_mechanism(const json& aj, const std::string& where, Account& a) {
  const auto name = get_string(aj, "mechanism", where);
  if (!name) return;
  std::string known;
  for (const auto& [m, key] : proto::sasl::kMechanismKeys)
    known += (known.empty() ? "" : ", ") + std::string(key);
  a.mechanism = value_named(proto::sasl::kMechanismKeys, *name);
  if (!a.mechanism) {
    problem(where + ".mechanism", "unknown SASL mechanism \"" + *name + "\"; use one of " + known +
                                      ", or leave it out for the best the server offers");
  } else if (proto::sasl::uses_token(*a.mechanism) && !a.oauth2) {
    problem(where + ".mechanism", *name +
                                      " sends an OAuth 2.0 access token: give the password "
                                      "as {\"oauth2_token_file\": \"path\"}");
  } else if (!proto::sasl::uses_token(*a.mechanism) && a.oauth2) {
    problem(where + ".mechanism", *name +
                                      " needs a password, but the account has an OAuth 2.0 "
                                      "token: use \"xoauth2\" or \"oauthbearer\"");
  }
}

void Loader::load_accounts(const json& root, File& f) {
  auto it = root.find("accounts");
  if (it == root.end()) return;
  if (!it->is_object()) {
    problem("accounts", "must be an object of named accounts");
    return;
  }
  for (const auto& [name, aj] : it->items()) {
    const std::string where = "accounts." + name;
    Account a;
    a.name = name;
    if (!aj.is_object()) {
      problem(where, "must be an object with \"user\" and \"password\"");
      f.accounts.emplace(name, std::move(a));  // declared: steps may name it
      continue;
    }
    known_keys(aj, where, {"user", "password", "mechanism", "oauth2"});
    if (auto u = get_string(aj, "user", where))
      a.user = *u;
    else if (!aj.contains("user"))
      problem(where, "needs a \"user\"");
    const auto grant = aj.find("oauth2");
    if (auto p = aj.find("password"); p != aj.end() && grant != aj.end())
      problem(where + ".oauth2",
              "an account logs in with a \"password\" or an \"oauth2\" token "
              "endpoint, not both: leave one out");
    else if (p != aj.end())
      load_password(*p, where + ".password", a);
    else if (grant != aj.end())
      load_oauth2(*grant, where + ".oauth2", a);
    else
      problem(where, "needs a \"password\", e.g. {\"env\": \"PROBE_PASSWORD\"}");
    load_mechanism(aj, where, a);
    f.accounts.emplace(name, std::move(a));
  }
}

}  // namespace mc::scn
