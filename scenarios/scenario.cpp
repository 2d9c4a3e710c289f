#include "scenarios/scenario.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "codec/time.hpp"
#include "protocols/address.hpp"
#include "scenarios/jsonc.hpp"

namespace mc::scn {

std::string Problem::format() const {
  std::string s = file;
  if (line > 0) {
    s += ": line " + std::to_string(line) + ", column " + std::to_string(column);
    if (!where.empty()) s += " (" + where + ")";
  } else if (!where.empty()) {
    s += ": " + where;
  }
  return s + ": " + message;
}

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using Names = std::vector<std::string>;

const Names kKnownSteps = {"smtp.send", "imap.wait", "imap.delete"};

struct DefaultPort {
  const char* scheme;
  std::uint16_t port;
  bool implicit_tls;
};
constexpr DefaultPort kSchemes[] = {
    {"smtp", 25, false},  {"smtps", 465, true}, {"imap", 143, false}, {"imaps", 993, true},
    {"pop3", 110, false}, {"pop3s", 995, true}, {"http", 80, false},  {"https", 443, true},
};

std::string join(const Names& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Edits between two names, a swap of neighbours counting as one (optimal string alignment).
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The known name a typo most likely meant: one that differs only in case, or by at most two
// edits, fewer than the shorter name's length (so that "ab" is not offered "to").
std::optional<std::string> near_miss(const std::string& typed, const Names& known) {
  std::optional<std::string> best;
  std::size_t best_distance = 3;
  for (const auto& k : known) {
    const std::size_t d = edit_distance(lower(typed), lower(k));
    if (d == 0) return k;
    if (d < best_distance && d < std::min(typed.size(), k.size())) {
      best = k;
      best_distance = d;
    }
  }
  return best;
}

// How to fix an unknown name: `; did you mean "x"? (LABEL: a, b)`, else `; LABEL: a, b`, else
// `; NONE` when nothing is known.
std::string suggestion(const std::string& typed, const Names& known, const std::string& label,
                       const std::string& none) {
  if (known.empty()) return "; " + none;
  if (auto near = near_miss(typed, known))
    return "; did you mean \"" + *near + "\"? (" + label + ": " + join(known) + ")";
  return "; " + label + ": " + join(known);
}

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

  std::optional<File> load() {
    std::error_code ec;
    if (fs::is_directory(path_, ec)) {
      problem("", "is a directory; give the scenario file inside it");
      return std::nullopt;
    }
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      problem("", "cannot read the file: " + std::string(std::strerror(errno)));
      return std::nullopt;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    text_ = ss.str();
    ParseError pe;
    auto doc = parse_jsonc(text_, pe);
    if (!doc) {
      Problem p{path_, "", "not valid JSON: " + pe.message};
      p.line = pe.line;
      p.column = pe.column;
      found_.push_back({0, std::move(p)});
      return std::nullopt;
    }
    map_ = map_source(text_);
    mapped_ = true;
    for (const auto& d : map_.duplicates) {
      int line = 0;
      int column = 0;
      line_column(text_, d.first, line, column);
      add(d.offset,
          {path_, d.path,
           "duplicate key \"" + d.key + "\" (first at line " + std::to_string(line) + ", column " +
               std::to_string(column) + "); only the last one would count: remove one of them"});
    }
    if (!doc->is_object()) {
      problem("",
              "the file must hold one JSON object with \"version\", \"servers\" and "
              "\"scenarios\"");
      return std::nullopt;
    }
    return load_root(*doc);
  }

  // Records a problem at JSON path `where`, placed at the member's key when `at_key`, else at
  // its value; a path that is not in the file (a missing key) is placed at its parent.
  void problem(const std::string& where, const std::string& message, bool at_key = false) {
    found_.push_back(place(where, message, at_key));
  }

  // Something allowed that weakens the probe; it does not stop the run.
  void warning(const std::string& where, const std::string& message, bool at_key = false) {
    warned_.push_back(place(where, message, at_key));
  }

  // Hands over this file's problems and warnings, each in the order of the text.
  void flush(std::vector<Problem>& problems, std::vector<Problem>& warnings) {
    for (auto* list : {&found_, &warned_}) {
      std::stable_sort(list->begin(), list->end(),
                       [](const Found& a, const Found& b) { return a.offset < b.offset; });
      for (auto& f : *list) (list == &found_ ? problems : warnings).push_back(std::move(f.problem));
      list->clear();
    }
  }

 private:
  struct Found {
    std::size_t offset;
    Problem problem;
  };

  Found place(const std::string& where, const std::string& message, bool at_key) {
    if (!mapped_) return {0, {path_, where, message}};
    std::string w = where;
    bool exact = true;
    while (true) {
      if (auto it = map_.places.find(w); it != map_.places.end()) {
        const auto& at = it->second;
        return located(exact && at_key && at.key != SourceMap::npos ? at.key : at.value,
                       {path_, where, message});
      }
      if (w.empty()) break;
      const auto cut = w.find_last_of(".[");
      w = cut == std::string::npos ? "" : w.substr(0, cut);
      exact = false;
    }
    return {0, {path_, where, message}};
  }

  Found located(std::size_t offset, Problem p) {
    line_column(text_, offset, p.line, p.column);
    return {offset, std::move(p)};
  }

  void add(std::size_t offset, Problem p) { found_.push_back(located(offset, std::move(p))); }

  void known_keys(const json& obj, const std::string& where, const Names& keys) {
    for (const auto& [key, value] : obj.items()) {
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
      problem(where.empty() ? key : where + "." + key,
              "unknown key \"" + key + "\"" + suggestion(key, keys, "known keys here", ""),
              /*at_key=*/true);
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
    static const std::string kLike = "\"250ms\", \"10s\", \"2m\" or \"1h\"";
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    const std::string at = where.empty() ? key : where + "." + key;
    if (it->is_number()) {
      problem(at, "a bare number is not a duration; write it as a string with a unit: " + kLike);
      return std::nullopt;
    }
    if (!it->is_string()) {
      problem(at, "must be a duration, a string like " + kLike);
      return std::nullopt;
    }
    const auto s = it->get<std::string>();
    milliseconds d{};
    bool too_long = false;
    if (!parse_duration(s, d, &too_long)) {
      if (too_long)
        problem(at, "\"" + shortened(s) + "\" is longer than the longest duration allowed, " +
                        format_duration(kMaxDuration) + "; give a shorter one");
      else
        problem(at, "\"" + shortened(s) + "\" is not a duration; write it like " + kLike);
      return std::nullopt;
    }
    if (d.count() == 0) {
      problem(at, "\"" + s + "\" is zero; give a duration above zero, like \"10s\"");
      return std::nullopt;
    }
    return d;
  }

  // A value quoted in a message: a hostile file may hold kilobytes in one string.
  static std::string shortened(const std::string& s) {
    constexpr std::size_t kMax = 40;
    return s.size() <= kMax ? s : s.substr(0, kMax) + "...";
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
    if (auto value = value_named(kStartTlsNames, *s)) return value;
    std::string names;
    for (const auto& entry : kStartTlsNames)
      names += (names.empty() ? "\"" : ", \"") + std::string(entry.second) + "\"";
    problem(where + ".starttls", "\"" + *s + "\" is not one of " + names);
    return std::nullopt;
  }

  File load_root(const json& root) {
    File f;
    f.path = path_;
    known_keys(root, "",
               {"version", "vantage", "defaults", "servers", "accounts", "scenarios", "reporters"});
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
        if (auto t = it->find("tls"); t != it->end()) load_tls(*t, "defaults.tls", default_tls);
      }
    }
    load_servers(root, default_tls, f);
    load_accounts(root, f);
    load_scenarios(root, default_timeout, default_source, f);
    load_reporters(root, f);
    return f;
  }

  void load_reporters(const json& root, File& f) {
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
        known_keys(rj, where,
                   {"type", "url", "ca_file", "basic_auth_file", "token_file", "timeout"});
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
          if (auto v = read_secret_file(resolve_path(*t), where + ".token_file"))
            r.bearer_token = *v;
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
      declared_servers_.push_back(name);
      if (!sj.is_object()) {
        problem(where, "must be an object with a \"url\"");
        continue;
      }
      known_keys(sj, where, {"url", "starttls", "tls", "allow_plaintext_auth"});
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
      if (auto t = sj.find("tls"); t != sj.end()) {
        load_tls(*t, where + ".tls", s.tls);
        // "tls": {} says the system trust store on purpose; a block with other keys may not.
        if (!default_tls.ca_file.empty() && s.tls.ca_file.empty() && s.tls.verify &&
            t->is_object() && !t->empty())
          warning(where + ".tls",
                  "this server's own tls replaces defaults.tls as a whole, so it is verified "
                  "against the system trust store, not defaults.tls.ca_file; add \"ca_file\" "
                  "here if that CA signed its certificate");
      }
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

  std::optional<std::string> read_secret_file(const std::string& p, const std::string& where) {
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

  void load_password(const json& pj, const std::string& where, Account& a) {
    if (!pj.is_object() || pj.size() != 1) {
      problem(where,
              "must be {\"env\": \"VARIABLE\"} or {\"file\": \"path\"}; passwords are never "
              "written into scenario files");
      return;
    }
    const std::string key = pj.begin().key();
    if (key != "env" && key != "file" && key != "oauth2_token_file") {
      known_keys(pj, where, {"env", "file"});
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
        problem(where + ".env",
                "environment variable " + *env + " is empty; set it to the password");
      else
        a.password = v;
    } else if (auto file = get_string(pj, "file", where)) {
      const std::string p = resolve_path(*file);
      a.password_source = "file " + p;
      if (auto s = read_secret_file(p, where + ".file")) a.password = *s;
    } else if (key == "oauth2_token_file") {
      problem(where + ".oauth2_token_file",
              "OAuth2 tokens are not supported yet; use \"env\" or \"file\"");
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
      Account a;
      a.name = name;
      if (!aj.is_object()) {
        problem(where, "must be an object with \"user\" and \"password\"");
        f.accounts.emplace(name, std::move(a));  // declared: steps may name it
        continue;
      }
      known_keys(aj, where, {"user", "password"});
      if (auto u = get_string(aj, "user", where))
        a.user = *u;
      else if (!aj.contains("user"))
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
    problem(where + ".server", s.kind + " needs an " + want + " server, but \"" + s.server +
                                   "\" is " + it->second.url);
  }

  void check_account(const File& f, const Step& s, const std::string& where) {
    if (f.accounts.count(s.account)) return;
    problem(where + ".account",
            "no account named \"" + s.account + "\"" +
                suggestion(s.account, keys_of(f.accounts), "accounts in this file",
                           "define it under \"accounts\""));
  }

  void load_step(const json& sj, const std::string& where, const File& f, Scenario& sc,
                 const ScenarioTimeout& sc_timeout, const Step* last_wait) {
    if (!sj.is_object()) {
      problem(where, "must be an object with a \"step\"");
      return;
    }
    Step s;
    s.path = where;
    auto kind = get_string(sj, "step", where);
    if (!kind) {
      if (!sj.contains("step")) problem(where, "needs a \"step\", one of " + join(kKnownSteps));
      return;
    }
    s.kind = *kind;
    if (std::find(kKnownSteps.begin(), kKnownSteps.end(), s.kind) == kKnownSteps.end()) {
      problem(where + ".step", "unknown step \"" + s.kind + "\"" +
                                   suggestion(s.kind, kKnownSteps, "known steps", ""));
      return;
    }
    known_keys(sj, where,
               {"step", "server", "account", "from", "to", "ehlo", "mailbox", "poll_interval",
                "keep", "timeout", "warn", "crit"});
    if (auto k = sj.find("keep"); k != sj.end()) {
      if (s.kind != "imap.wait")
        problem(where + ".keep",
                "\"keep\" belongs to imap.wait: it says the probe stays in the "
                "mailbox; remove it here",
                /*at_key=*/true);
      else if (!k->is_boolean())
        problem(where + ".keep", "must be true or false");
      else
        s.keep = k->get<bool>();
    }
    if (auto v = get_string(sj, "server", where)) s.server = *v;
    if (auto v = get_string(sj, "account", where)) s.account = *v;
    if (auto v = get_string(sj, "from", where)) s.from = *v;
    if (auto v = get_string(sj, "ehlo", where)) {
      s.ehlo = *v;
      if (s.ehlo.empty() ||
          s.ehlo.find_first_of(std::string_view(" \t\r\n\0", 5)) != std::string::npos)
        problem(where + ".ehlo", "\"" + printable(s.ehlo) +
                                     "\" is not a host name for EHLO: give one name without "
                                     "spaces or line breaks, like \"probe.example.net\"");
    }
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
      problem(where + ".warn", "warn " + format_duration(*s.warn) + " is longer than crit " +
                                   format_duration(*s.crit) +
                                   "; warn is the lower threshold: lower warn or raise crit");
    if (s.timeout && sc_timeout.known && *s.timeout > sc.timeout)
      problem(where + ".timeout", "step timeout " + format_duration(*s.timeout) +
                                      " is longer than the scenario timeout " +
                                      format_duration(sc.timeout) + sc_timeout.note +
                                      ", which bounds all of its steps; shorten the step "
                                      "timeout or lengthen the scenario timeout");

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
      if (s.to.empty() && !sj.contains("to")) problem(where, "smtp.send needs \"to\"");
      check_addresses(sj, where, s);
      check_plaintext_auth(f, s, where);
    } else {
      // imap.delete works on what the preceding imap.wait found, on the same mailbox.
      // What it inherits was checked on the imap.wait; a problem there is not repeated here.
      bool inherited_server = false;
      bool inherited_account = false;
      if (s.kind == "imap.delete" && last_wait != nullptr) {
        inherited_server = s.server.empty();
        inherited_account = s.account.empty();
        if (inherited_server) s.server = last_wait->server;
        if (inherited_account) s.account = last_wait->account;
        if (!sj.contains("mailbox")) s.mailbox = last_wait->mailbox;
      }
      if (s.kind == "imap.delete" && last_wait == nullptr)
        problem(where,
                "imap.delete deletes what an earlier imap.wait found; add an imap.wait "
                "step before it");
      if (s.server.empty())
        problem(where, s.kind + " needs a \"server\"");
      else if (!inherited_server)
        check_server(f, s, where, {"imap", "imaps"});
      if (s.account.empty())
        problem(where, s.kind + " needs an \"account\"");
      else if (!inherited_account)
        check_account(f, s, where);
      if (!(inherited_server && inherited_account)) check_plaintext_auth(f, s, where);
    }
    sc.steps.push_back(std::move(s));
  }

  // Addresses go into MAIL FROM and RCPT TO as they are: a CR or LF would end the command and
  // start another, so they are checked here, before anything is sent.
  void check_addresses(const json& sj, const std::string& where, const Step& s) {
    std::set<std::string> told;  // an account's user stands in for from and to: say it once
    auto check = [&](const std::string& address, const std::string& at, bool from_account) {
      auto p = proto::smtp::address_problem(address);
      if (!p || !told.insert(at + address).second) return;
      problem(at, "\"" + printable(address) + "\" is not a valid mail address" +
                      (from_account ? " (it is the account's \"user\")" : "") + ": " + *p);
    };
    if (!s.from.empty())
      check(s.from, sj.contains("from") ? where + ".from" : where, !sj.contains("from"));
    const auto to = sj.find("to");
    for (std::size_t i = 0; i < s.to.size(); ++i) {
      std::string at = where;
      if (to != sj.end()) at += to->is_array() ? ".to[" + std::to_string(i) + "]" : ".to";
      check(s.to[i], at, to == sj.end());
    }
  }

  // Credentials never cross a connection without TLS unless the file says so for that server.
  // With starttls "off" that is certain before anything is sent; "optional" is decided by the
  // server's offer, at run time.
  void check_plaintext_auth(const File& f, const Step& s, const std::string& where) {
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

  // Control characters would break the one-line message; show them escaped.
  static std::string printable(const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
      if (c == '\r')
        out += "\\r";
      else if (c == '\n')
        out += "\\n";
      else if (c < 0x20 || c == 0x7f) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        out += hex;
      } else
        out += static_cast<char>(c);
    }
    return out;
  }

  // A probe that imap.wait found and no imap.delete removes stays in the mailbox; unless the
  // file says that is intended, later runs delete it and every run says so.
  void warn_probes_left_behind(const Scenario& sc) {
    bool waiting = false;
    std::size_t at = 0;
    for (std::size_t k = 0; k < sc.steps.size(); ++k) {
      const Step& s = sc.steps[k];
      if (s.kind == "imap.wait" && !s.keep) {
        waiting = true;
        at = k;
      }
      if (s.kind == "imap.delete") waiting = false;
    }
    if (!waiting) return;
    warning(sc.steps[at].path,
            "imap.wait without an imap.delete after it leaves the probe in the mailbox; later "
            "runs delete it; add {\"step\": \"imap.delete\"} after it, or \"keep\": true on "
            "the imap.wait if probes are meant to stay");
  }

  void load_scenarios(const json& root, milliseconds default_timeout,
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
      std::optional<std::size_t> last_wait;  // an index: pointers into steps would dangle
      for (std::size_t k = 0; k < steps->size(); ++k) {
        const std::size_t before = sc.steps.size();
        load_step((*steps)[k], where + ".steps[" + std::to_string(k) + "]", f, sc, timeout,
                  last_wait ? &sc.steps[*last_wait] : nullptr);
        if (sc.steps.size() > before && sc.steps.back().kind == "imap.wait")
          last_wait = sc.steps.size() - 1;
      }
      warn_probes_left_behind(sc);
      f.scenarios.push_back(std::move(sc));
    }
  }

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
  struct First {
    std::string file;
    std::string where;
  };
  std::map<std::string, First> scenario_names;  // --scenario NAME must pick one scenario
  std::set<std::string> seen_files;
  for (const auto& p : paths) {
    Loader loader(p, options);
    std::error_code ec;
    const auto canonical = fs::weakly_canonical(p, ec);
    if (!seen_files.insert(ec ? p : canonical.string()).second) {
      loader.problem("", "the same file is given twice on the command line; give it once");
      loader.flush(out.problems, out.warnings);
      continue;
    }
    std::optional<File> f;
    try {
      f = loader.load();
    } catch (const std::exception& e) {
      // A defect of mailcanary's, but still one file's problem: the others are reported too.
      loader.problem("", std::string("cannot be read (internal error: ") + e.what() + ")");
    }
    if (f) {
      std::set<std::string> in_this_file;  // repeats within the file have their own problem
      for (const auto& sc : f->scenarios) {
        if (sc.name.empty() || !in_this_file.insert(sc.name).second) continue;
        const auto [first, fresh] = scenario_names.emplace(sc.name, First{p, sc.path});
        if (!fresh)
          loader.problem(sc.path + ".name",
                         "scenario name \"" + sc.name + "\" is already used by " +
                             first->second.where + " in " + first->second.file +
                             "; --scenario picks scenarios by name, so give each its own");
      }
    }
    loader.flush(out.problems, out.warnings);
    if (f) out.files.push_back(std::move(*f));
  }
  return out;
}

}  // namespace mc::scn
