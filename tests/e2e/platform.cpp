#include "tests/e2e/platform.hpp"

#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mc::e2e {
namespace fs = std::filesystem;
using mc::test::read_file;
using nlohmann::json;

namespace {
// KEY=VALUE lines written by mailservers.sh (values are plain paths, names and numbers).
const std::map<std::string, std::string>& platform() {
  static const std::map<std::string, std::string> env = [] {
    const char* dir = std::getenv("MC_E2E_DIR");
    if (dir == nullptr) throw std::runtime_error("MC_E2E_DIR is not set (run through ctest)");
    std::map<std::string, std::string> m;
    std::istringstream in(read_file(std::string(dir) + "/env"));
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#') continue;
      const auto eq = line.find('=');
      if (eq != std::string::npos) m[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return m;
  }();
  return env;
}

void postfix(const std::vector<std::string>& args) {
  const std::string program = args.at(0);
  std::vector<std::string> rest(args.begin() + 1, args.end());
  rest.insert(rest.begin(), {"-c", var("MC_POSTFIX_CONFIG_DIR")});
  const auto r = mc::test::run_program(program, rest, {}, 30);
  if (r.exit_code != 0) throw std::runtime_error(program + " failed: " + r.err);
}
}  // namespace

std::string var(const std::string& key) {
  auto it = platform().find(key);
  if (it == platform().end()) throw std::runtime_error("platform env lacks " + key);
  return it->second;
}

std::string url(const std::string& scheme, const std::string& port_key) {
  return scheme + "://" + var("MC_HOST") + ":" + var(port_key);
}

std::string probe_password() {
  return read_file(var("MC_PROBE_PASSWORD_FILE"));
}
std::string users_password() {
  return read_file(var("MC_USERS_PASSWORD_FILE"));
}

fs::path maildir(const std::string& local_part) {
  return fs::path(var("MC_MAIL_DIR")) / "example.test" / local_part / "Maildir";
}

std::multiset<std::string> mailbox_snapshot(const std::string& local_part) {
  std::multiset<std::string> out;
  for (const char* sub : {"cur", "new"}) {
    const fs::path d = maildir(local_part) / sub;
    if (!fs::exists(d)) continue;
    for (const auto& e : fs::directory_iterator(d)) {
      const std::string name = e.path().filename().string();
      const auto info = name.find(":2,");
      out.insert((info == std::string::npos ? "" : name.substr(info)) + "|" +
                 read_file(e.path().string()));
    }
  }
  return out;
}

int messages_with(const std::string& local_part, const std::string& needle) {
  int n = 0;
  for (const auto& m : mailbox_snapshot(local_part)) n += m.find(needle) != std::string::npos;
  return n;
}

fs::path maildir_folder(const std::string& local_part, const std::string& mailbox) {
  return maildir(local_part) / ("." + mailbox);
}

fs::path wait_for_message(const fs::path& folder, const std::vector<std::string>& needles,
                          std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (const char* sub : {"new", "cur"}) {
      const fs::path dir = folder / sub;
      if (!fs::exists(dir)) continue;
      for (const auto& e : fs::directory_iterator(dir)) {
        const std::string text = read_file(e.path().string());
        bool all = true;
        for (const auto& n : needles) all = all && text.find(n) != std::string::npos;
        if (all) return e.path();
      }
    }
    if (std::chrono::steady_clock::now() >= until) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

bool wait_delivered(const std::string& queue_id, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  // qmgr logs "removed" once no recipient is left to try: every delivery is done.
  const std::string done = " " + queue_id + ": removed";
  for (;;) {
    if (read_file(var("MC_POSTFIX_LOG")).find(done) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

json send_only(const std::string& to, const std::vector<std::string>& headers) {
  json step = {{"step", "smtp.send"},
               {"server", "out"},
               {"account", "probe"},
               {"from", "probe@example.test"},
               {"to", json::array({to})}};
  if (!headers.empty()) step["headers"] = headers;
  return {
      {"version", 1},
      {"vantage", "e2e"},
      {"defaults",
       {{"timeout", "30s"},
        {"tls", {{"ca_file", var("MC_CA")}, {"server_name", "mail.example.test"}}}}},
      {"servers", {{"out", {{"url", url("smtp", "MC_SUBMISSION_PORT")}}}}},
      {"accounts",
       {{"probe", {{"user", "probe@example.test"}, {"password", {{"env", "MC_E2E_PASSWORD"}}}}}}},
      {"scenarios",
       json::array({{{"name", "send"}, {"timeout", "30s"}, {"steps", json::array({step})}}})}};
}

Run run(const json& file, std::map<std::string, std::string> env, std::vector<std::string> extra) {
  const std::string dir = mc::test::make_temp_dir("mc-e2e");
  const std::string path = dir + "/scenario.json";
  mc::test::write_file(path, file.dump(2));
  if (!env.count("MC_E2E_PASSWORD")) env["MC_E2E_PASSWORD"] = probe_password();
  std::vector<std::string> args = {"run", path, "--json", dir + "/result.json"};
  bool own_state = true;
  for (const auto& a : extra) own_state = own_state && a != "--state-dir";
  if (own_state) args.insert(args.end(), {"--state-dir", dir + "/state"});
  args.insert(args.end(), extra.begin(), extra.end());
  Run r;
  r.ran = mc::test::run_program(MAILCANARY_BIN, args, env, 180);
  if (fs::exists(dir + "/result.json")) r.result = json::parse(read_file(dir + "/result.json"));
  fs::remove_all(dir);
  return r;
}

void release_held_mail() {
  postfix({"/usr/sbin/postsuper", "-H", "ALL"});
  postfix({"/usr/sbin/postqueue", "-f"});
}

void delete_held_mail() {
  postfix({"/usr/sbin/postsuper", "-d", "ALL", "hold"});
}

nlohmann::json scenario_file(const nlohmann::json& steps, const std::string& name) {
  using nlohmann::json;
  return {
      {"version", 1},
      {"vantage", "e2e"},
      {"defaults",
       {{"timeout", "30s"},
        {"tls", {{"ca_file", var("MC_CA")}, {"server_name", "mail.example.test"}}}}},
      {"servers",
       {{"out", {{"url", url("smtp", "MC_SUBMISSION_PORT")}}},
        {"store", {{"url", url("imaps", "MC_IMAPS_PORT")}}}}},
      {"accounts",
       {{"probe", {{"user", "probe@example.test"}, {"password", {{"env", "MC_E2E_PASSWORD"}}}}}}},
      {"scenarios", json::array({{{"name", name}, {"timeout", "60s"}, {"steps", steps}}})}};
}

}  // namespace mc::e2e
