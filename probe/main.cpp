// mailcanary command line: run, validate, version.
#include <iostream>
#include <string>
#include <vector>

#include "probe/clock.hpp"
#include "probe/result.hpp"
#include "probe/runner.hpp"
#include "probe/table.hpp"
#include "reporters/json_reporter.hpp"
#include "scenarios/scenario.hpp"

namespace {

constexpr int kUnknown = 3;

const char* kUsage =
    "usage:\n"
    "  mailcanary run FILE [FILE...] [options]   run the scenarios once\n"
    "  mailcanary validate FILE [FILE...]        check files, print every problem, send nothing\n"
    "  mailcanary version\n"
    "\n"
    "run options:\n"
    "  --scenario NAME    run only this scenario (repeatable)\n"
    "  --vantage NAME     label of the place the probe runs from (default: host name)\n"
    "  --json PATH|-      write the result document\n"
    "  --deadline D       hard bound on the whole run, e.g. 90s\n"
    "  -v                 live protocol transcript on stderr, secrets redacted\n"
    "\n"
    "exit codes: 0 ok, 1 warning, 2 critical, 3 unknown (bad input; nothing was sent)\n";

int usage_error(const std::string& message) {
  std::cerr << "mailcanary: " << message << "\n\n" << kUsage;
  return kUnknown;
}

struct Args {
  std::vector<std::string> files;
  mc::RunOptions run;
  std::string json_path;
};

// Returns an error text, or empty when the arguments are good.
std::string parse_run_args(int argc, char** argv, Args& a) {
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string& out) -> bool {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--scenario") {
      if (!value(v)) return "--scenario needs a scenario name";
      a.run.scenarios.push_back(v);
    } else if (arg == "--vantage") {
      if (!value(a.run.vantage)) return "--vantage needs a name";
    } else if (arg == "--json") {
      if (!value(a.json_path)) return "--json needs a path, or - for stdout";
    } else if (arg == "--deadline") {
      std::chrono::milliseconds d{};
      if (!value(v) || !mc::parse_duration(v, d) || d.count() == 0)
        return "--deadline needs a duration like 90s or 2m";
      a.run.deadline = d;
    } else if (arg == "-v" || arg == "--verbose") {
      a.run.verbose = true;
    } else if (arg == "--jsonl" || arg == "--push" || arg == "--textfile" || arg == "--nagios" ||
               arg == "--junit" || arg == "--html" || arg == "--state-dir" || arg == "--every") {
      return arg + " is not available in this version of mailcanary";
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      return "unknown option " + arg;
    } else {
      a.files.push_back(arg);
    }
  }
  if (a.files.empty()) return "run needs at least one scenario file";
  return {};
}

bool report_problems(const std::vector<mc::scn::Problem>& problems) {
  for (const auto& p : problems) std::cerr << p.format() << "\n";
  return !problems.empty();
}

int cmd_validate(int argc, char** argv) {
  std::vector<std::string> files(argv + 2, argv + argc);
  if (files.empty()) return usage_error("validate needs at least one scenario file");
  const auto loaded = mc::scn::load_files(files);
  if (report_problems(loaded.problems)) {
    std::cerr << loaded.problems.size() << " problem(s) found\n";
    return kUnknown;
  }
  for (const auto& f : loaded.files)
    std::cout << f.path << ": ok (" << f.scenarios.size() << " scenario(s))\n";
  return 0;
}

int cmd_run(int argc, char** argv) {
  Args a;
  if (auto err = parse_run_args(argc, argv, a); !err.empty()) return usage_error(err);
  const auto loaded = mc::scn::load_files(a.files);
  if (report_problems(loaded.problems)) {
    std::cerr << "mailcanary: nothing was sent; fix the problems above (mailcanary validate "
                 "checks a file)\n";
    return kUnknown;
  }
  for (const auto& name : a.run.scenarios) {
    bool found = false;
    for (const auto& f : loaded.files)
      for (const auto& sc : f.scenarios) found = found || sc.name == name;
    if (!found)
      return usage_error("--scenario " + name + ": no scenario of that name in the files");
  }
  // Turning verification off is allowed, but never silently.
  for (const auto& f : loaded.files)
    for (const auto& [name, server] : f.servers)
      if (!server.tls.verify)
        std::cerr << "mailcanary: warning: " << f.path << ": servers." << name
                  << ": TLS certificate verification is off (tls.verify is false)\n";
  const mc::RunResult run = mc::run_scenarios(loaded.files, a.run);
  if (a.json_path != "-") mc::print_table(std::cout, run);
  int code = mc::exit_code(run.status);
  if (!a.json_path.empty()) {
    if (auto err = mc::write_json_result(a.json_path, run)) {
      std::cerr << "mailcanary: --json: " << *err << "\n";
      code = std::max(code, kUnknown);
    }
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage_error("no command given");
  const std::string cmd = argv[1];
  try {
    if (cmd == "run") return cmd_run(argc, argv);
    if (cmd == "validate") return cmd_validate(argc, argv);
    if (cmd == "version" || cmd == "--version") {
      std::cout << "mailcanary " << MAILCANARY_VERSION << "\n";
      return 0;
    }
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      std::cout << kUsage;
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "mailcanary: internal error: " << e.what() << "\n";
    return kUnknown;
  }
  return usage_error("unknown command '" + cmd + "'");
}
