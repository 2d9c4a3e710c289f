#include "probe/state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reporters/json_reporter.hpp"

namespace mc {
namespace fs = std::filesystem;
using nlohmann::json;

std::string default_state_dir() {
  if (::geteuid() == 0) return "/var/lib/mailcanary";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/mailcanary";
  if (const char* h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.local/state/mailcanary";
  return "/tmp/mailcanary-" + std::to_string(::geteuid());
}

std::optional<RunLock> RunLock::acquire(const std::string& state_dir, std::string& error) {
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) {
    error = "cannot create the state directory " + state_dir + ": " + ec.message() +
            " (choose another with --state-dir)";
    return std::nullopt;
  }
  const std::string path = state_dir + "/run.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot open the run lock " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::string holder;
    char buf[32] = {};
    if (::pread(fd, buf, sizeof buf - 1, 0) > 0) holder = buf;
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    ::close(fd);
    error = "another mailcanary run holds the lock " + path +
            (holder.empty() ? "" : " (pid " + holder + ")") +
            "; runs with the same --state-dir never overlap. Nothing was sent.";
    return std::nullopt;
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return RunLock(fd);
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

PendingStore::PendingStore(std::string state_dir) : dir_(std::move(state_dir) + "/pending") {}

std::string PendingStore::path_of(const std::string& token) const {
  return dir_ + "/" + token + ".json";
}

std::vector<PendingProbe> PendingStore::load(std::vector<std::string>& problems) const {
  std::vector<PendingProbe> out;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    const std::string path = entry.path().string();
    try {
      std::ifstream in(path);
      std::stringstream text;
      text << in.rdbuf();
      const json j = json::parse(text.str());
      PendingProbe p;
      p.token = j.at("token").get<std::string>();
      p.file = j.at("file").get<std::string>();
      p.scenario = j.at("scenario").get<std::string>();
      p.queued_at =
          Wall::time_point(std::chrono::milliseconds(j.at("queued_at_ms").get<long long>()));
      p.seen = j.value("seen", false);
      if (p.token.size() != 32 ||
          p.token.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw std::runtime_error("token is not 32 lower-case hex digits");
      if (entry.path().filename() != p.token + ".json")
        throw std::runtime_error("the file name does not match the token inside it");
      out.push_back(std::move(p));
    } catch (const std::exception& e) {
      const fs::path aside = fs::path(dir_) / "corrupt" / entry.path().filename();
      fs::create_directories(aside.parent_path(), ec);
      fs::rename(entry.path(), aside, ec);
      problems.push_back("state file " + path + " is unreadable (" + e.what() + "); moved to " +
                         aside.string());
    }
  }
  return out;
}

std::optional<std::string> PendingStore::save(const PendingProbe& p) const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return "cannot create " + dir_ + ": " + ec.message();
  const json j = {
      {"token", p.token},
      {"file", p.file},
      {"scenario", p.scenario},
      {"queued_at", iso8601(p.queued_at)},
      {"queued_at_ms",
       std::chrono::duration_cast<std::chrono::milliseconds>(p.queued_at.time_since_epoch())
           .count()},
      {"seen", p.seen},
  };
  return write_file_atomically(path_of(p.token),
                               j.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

void PendingStore::remove(const std::string& token) const {
  std::error_code ec;
  fs::remove(path_of(token), ec);
}

LastSuccessStore::LastSuccessStore(std::string state_dir)
    : path_(std::move(state_dir) + "/last_success.json") {}

std::vector<std::pair<std::string, double>> LastSuccessStore::update(
    const std::vector<std::string>& succeeded, double now,
    std::vector<std::string>& problems) const {
  json known = json::object();
  std::error_code ec;
  if (fs::exists(path_, ec)) {
    try {
      std::ifstream in(path_);
      std::stringstream text;
      text << in.rdbuf();
      known = json::parse(text.str());
      if (!known.is_object()) throw std::runtime_error("not a JSON object");
      for (const auto& [k, v] : known.items())
        if (!v.is_number()) throw std::runtime_error("value of \"" + k + "\" is not a number");
    } catch (const std::exception& e) {
      const std::string aside = path_ + ".corrupt";
      fs::rename(path_, aside, ec);
      problems.push_back("state file " + path_ + " is unreadable (" + e.what() + "); moved to " +
                         aside);
      known = json::object();
    }
  }
  for (const auto& name : succeeded) known[name] = now;
  if (!succeeded.empty()) {
    if (auto err = write_file_atomically(
            path_, known.dump(2, ' ', false, json::error_handler_t::replace) + "\n"))
      problems.push_back("cannot record the last success times: " + *err);
  }
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [k, v] : known.items()) out.emplace_back(k, v.get<double>());
  return out;
}

}  // namespace mc
