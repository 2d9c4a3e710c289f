// The command line: `mailcanary run|validate|version|help`, parsed with CLI11. The usage text and
// every error message are mailcanary's own; CLI11's generated help and messages never show.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "probe/runner.hpp"
#include "reporters/pushgateway_reporter.hpp"

namespace mc::cli {

extern const char* const kUsage;

enum class Command { none, run, validate, version, help };

// What run asks for; validate uses `files` and `every` only.
struct Args {
  std::vector<std::string> files;
  mc::RunOptions run;
  std::string json_path;
  std::string jsonl_path;
  std::optional<std::chrono::milliseconds> every;
  std::optional<mc::PushConfig> push;  // with its secrets read from their files
  std::string push_auth_file, push_token_file, push_ca_file;
  std::string textfile_path, junit_path, html_path;
  bool nagios = false;
};

struct Parsed {
  Command command = Command::none;  // none: no command, or one mailcanary does not have
  Args args;
  std::string error;  // a usage error (print it with the usage, exit 3); empty when all is good
};

// `--help` or `-h` anywhere after run or validate is Command::help, even where an option wanted
// its value. Of several mistakes the first unknown option is reported, else the first bad value
// in the order given, else a value missing at the end, else what the options say together.
Parsed parse(int argc, const char* const* argv);

}  // namespace mc::cli
