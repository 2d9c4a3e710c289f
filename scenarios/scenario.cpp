#include "scenarios/scenario.hpp"

#include <algorithm>
#include <set>

#include "scenarios/loader.hpp"

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
