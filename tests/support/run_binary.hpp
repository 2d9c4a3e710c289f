// Test support: run the mailcanary binary as a user would, and capture everything it printed.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mc::test {

struct Ran {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `program args...` with `env` added to (or, with an empty value, removed from) this
// process's environment, waits at most `timeout_s`, and kills it when that runs out.
Ran run_program(const std::string& program, const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {}, int timeout_s = 120);

// A program started in the background, its output going to files; for tests that signal it.
class Spawned {
 public:
  Spawned(const std::string& program, const std::vector<std::string>& args,
          const std::map<std::string, std::string>& env = {});
  ~Spawned();  // kills it if it still runs
  int pid() const { return pid_; }
  void signal(int sig);
  // Waits at most `timeout_s` for it to exit (then kills it: exit_code -2) and collects output.
  Ran wait(int timeout_s = 60);

 private:
  int pid_ = -1;
  std::string dir_;
  bool reaped_ = false;
};

// A fresh directory under /tmp that every user can enter (servers may read files in it).
std::string make_temp_dir(const std::string& prefix);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text, unsigned mode = 0644);

}  // namespace mc::test
