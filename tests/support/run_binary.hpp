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

// A fresh directory under /tmp that every user can enter (servers may read files in it).
std::string make_temp_dir(const std::string& prefix);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text, unsigned mode = 0644);

}  // namespace mc::test
