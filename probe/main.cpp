// mailcanary command line: run, validate, version.
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <curl/curl.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "codec/time.hpp"
#include "probe/runner.hpp"
#include "probe/state.hpp"
#include "probe/table.hpp"
#include "reporters/file_reporters.hpp"
#include "reporters/html_reporter.hpp"
#include "reporters/json_reporter.hpp"
#include "reporters/junit_reporter.hpp"
#include "reporters/metrics.hpp"
#include "reporters/pushgateway_reporter.hpp"
#include "results/result.hpp"
#include "scenarios/scenario.hpp"

namespace {

constexpr int kUnknown = 3;
// After SIGTERM/SIGINT in --every mode, a round in progress gets this long to finish and report.
constexpr auto kGrace = std::chrono::seconds(10);
// File descriptors one scenario may hold at once (a socket, and the resolver's), plus a reserve.
constexpr rlim_t kFdsPerScenario = 4;
constexpr rlim_t kFdReserve = 32;

const char* kUsage =
    "usage:\n"
    "  mailcanary run FILE [FILE...] [options]   run the scenarios once (cron) or --every D\n"
    "  mailcanary validate FILE [FILE...] [--every D]\n"
    "                                            check files, print every problem, send nothing\n"
    "  mailcanary version\n"
    "\n"
    "run options:\n"
    "  --scenario NAME        run only this scenario (repeatable)\n"
    "  --vantage NAME         label of the place the probe runs from (default: host name)\n"
    "  --json PATH|-          write the result document\n"
    "  --jsonl PATH           append one result document per line (history)\n"
    "  --deadline D           hard bound on the whole run, e.g. 90s\n"
    "  --every D              keep running, one round every D (with jitter), until SIGTERM\n"
    "  --max-concurrency N    scenarios in flight at once (default 32)\n"
    "  --state-dir DIR        run lock and pending probes (default /var/lib/mailcanary for\n"
    "                         root, else ~/.local/state/mailcanary)\n"
    "  --lost-after D         give up on a probe not found for this long (default 1h)\n"
    "  --push URL             push metrics to a Prometheus Pushgateway\n"
    "  --push-auth-file PATH  basic auth for it, \"user:password\" in a file (mode 0600)\n"
    "  --push-token-file PATH bearer token for it, in a file (mode 0600)\n"
    "  --push-ca-file PATH    CA certificate(s) for an https:// Pushgateway\n"
    "  --textfile PATH.prom   write metrics for node_exporter's textfile collector\n"
    "  --nagios               one Nagios/Icinga status line with perfdata on stdout\n"
    "  --junit PATH           JUnit XML, one test case per scenario\n"
    "  --html PATH            a self-contained report with a waterfall of every step\n"
    "  -v                     live protocol transcript on stderr, secrets redacted\n"
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
  std::string jsonl_path;
  std::optional<std::chrono::milliseconds> every;
  std::optional<mc::PushConfig> push;
  std::string push_auth_file, push_token_file, push_ca_file;
  std::string textfile_path, junit_path, html_path;
  bool nagios = false;
};

bool positive_duration(const std::string& text, std::chrono::milliseconds& out) {
  return mc::parse_duration(text, out) && out.count() > 0;
}

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
    std::chrono::milliseconds d{};
    if (arg == "--scenario") {
      if (!value(v)) return "--scenario needs a scenario name";
      a.run.scenarios.push_back(v);
    } else if (arg == "--vantage") {
      if (!value(a.run.vantage)) return "--vantage needs a name";
    } else if (arg == "--json") {
      if (!value(a.json_path)) return "--json needs a path, or - for stdout";
    } else if (arg == "--jsonl") {
      if (!value(a.jsonl_path) || a.jsonl_path.empty()) return "--jsonl needs a path";
    } else if (arg == "--deadline") {
      if (!value(v) || !positive_duration(v, d))
        return "--deadline needs a duration like 90s or 2m";
      a.run.deadline = d;
    } else if (arg == "--every") {
      if (!value(v) || !positive_duration(v, d)) return "--every needs a duration like 60s or 5m";
      a.every = d;
    } else if (arg == "--lost-after") {
      if (!value(v) || !positive_duration(v, d))
        return "--lost-after needs a duration like 30m or 2h";
      a.run.lost_after = d;
    } else if (arg == "--max-concurrency") {
      if (!value(v) || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 6 ||
          std::stoul(v) == 0)
        return "--max-concurrency needs a whole number of at least 1";
      a.run.max_concurrency = std::stoul(v);
    } else if (arg == "--state-dir") {
      if (!value(a.run.state_dir) || a.run.state_dir.empty())
        return "--state-dir needs a directory";
    } else if (arg == "-v" || arg == "--verbose") {
      a.run.verbose = true;
    } else if (arg == "--push") {
      if (!value(v) || (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0))
        return "--push needs the Pushgateway's URL, like http://pushgateway:9091";
      if (mc::url_has_userinfo(v))
        return "--push: put the credentials into a file for --push-auth-file, not into the URL";
      a.push = mc::PushConfig{};
      a.push->url = v;
    } else if (arg == "--push-auth-file") {
      if (!value(a.push_auth_file)) return "--push-auth-file needs a file holding user:password";
    } else if (arg == "--push-token-file") {
      if (!value(a.push_token_file)) return "--push-token-file needs a file holding the token";
    } else if (arg == "--push-ca-file") {
      if (!value(a.push_ca_file)) return "--push-ca-file needs a CA certificate file";
    } else if (arg == "--textfile") {
      if (!value(a.textfile_path) || a.textfile_path.size() < 6 ||
          a.textfile_path.compare(a.textfile_path.size() - 5, 5, ".prom") != 0)
        return "--textfile needs a path ending in .prom (node_exporter reads only *.prom)";
    } else if (arg == "--nagios") {
      a.nagios = true;
    } else if (arg == "--junit") {
      if (!value(a.junit_path) || a.junit_path.empty()) return "--junit needs a path";
    } else if (arg == "--html") {
      if (!value(a.html_path) || a.html_path.empty()) return "--html needs a path";
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      return "unknown option " + arg;
    } else {
      a.files.push_back(arg);
    }
  }
  if (a.files.empty()) return "run needs at least one scenario file";
  if (a.json_path == "-" && a.every) return "--json - cannot be used with --every; give a path";
  if (a.json_path == "-" && a.nagios) return "--json - and --nagios both want stdout; choose one";
  if (!a.push && !(a.push_auth_file.empty() && a.push_token_file.empty() && a.push_ca_file.empty()))
    return "--push-auth-file, --push-token-file and --push-ca-file need --push URL";
  if (a.push) {
    std::string err;
    if (!a.push_auth_file.empty()) {
      auto v = mc::read_push_secret(a.push_auth_file, err);
      if (!v) return "--push-auth-file: " + err;
      if (v->find(':') == std::string::npos)
        return "--push-auth-file: " + a.push_auth_file + " must hold user:password";
      a.push->basic_auth = *v;
    }
    if (!a.push_token_file.empty()) {
      auto v = mc::read_push_secret(a.push_token_file, err);
      if (!v) return "--push-token-file: " + err;
      a.push->bearer_token = *v;
    }
    a.push->ca_file = a.push_ca_file;
  }
  return {};
}

bool report_problems(const std::vector<mc::scn::Problem>& problems) {
  for (const auto& p : problems) std::cerr << p.format() << "\n";
  return !problems.empty();
}

// Allowed, but never silently: TLS verification off, credentials in clear, probes left behind.
std::vector<std::string> report_warnings(const std::vector<mc::scn::Problem>& warnings) {
  std::vector<std::string> out;
  for (const auto& w : warnings) {
    std::cerr << "mailcanary: warning: " << w.format() << "\n";
    out.push_back(w.format());
  }
  return out;
}

bool wants_help(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return true;
  }
  return false;
}

// validate takes the options that change what is valid (--every D: a scenario timeout must fit
// in it); any other option is refused, never taken for a file name.
int cmd_validate(int argc, char** argv) {
  std::vector<std::string> files;
  mc::scn::LoadOptions load;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--every") {
      std::chrono::milliseconds d{};
      if (i + 1 >= argc || !positive_duration(argv[i + 1], d))
        return usage_error("--every needs a duration like 60s or 5m");
      load.every = d;
      ++i;
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      return usage_error("validate: unknown option " + arg +
                         "; validate takes scenario files and --every D (the other run options "
                         "do not change what is valid)");
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) return usage_error("validate needs at least one scenario file");
  const auto loaded = mc::scn::load_files(files, load);
  report_warnings(loaded.warnings);
  if (report_problems(loaded.problems)) {
    std::cerr << loaded.problems.size() << " problem(s) found\n";
    return kUnknown;
  }
  for (const auto& f : loaded.files)
    std::cout << f.path << ": ok (" << f.scenarios.size() << " scenario(s))\n";
  return 0;
}

// Raises the soft open-file limit to the hard one, and lowers the concurrency when even that is
// not enough, saying so.
void fit_open_file_limit(std::size_t& max_concurrency, std::size_t scenarios) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) getrlimit(RLIMIT_NOFILE, &rl);
  }
  const std::size_t wanted = std::min(max_concurrency, scenarios);
  if (rl.rlim_cur >= wanted * kFdsPerScenario + kFdReserve) return;
  const std::size_t fits =
      rl.rlim_cur > kFdReserve + kFdsPerScenario ? (rl.rlim_cur - kFdReserve) / kFdsPerScenario : 1;
  std::cerr << "mailcanary: warning: the open-file limit (" << rl.rlim_cur << ") allows only "
            << fits << " scenarios at once, not " << wanted << "; running " << fits
            << " at a time (raise it with ulimit -n or LimitNOFILE=)\n";
  max_concurrency = fits;
}

// Reporters get the last fifth of --deadline (at most 5 s) to themselves, so that even a run
// whose scenarios all ran into the deadline still reports; without --deadline, 30 s.
std::chrono::milliseconds reporting_reserve(std::chrono::milliseconds deadline) {
  return std::min<std::chrono::milliseconds>(deadline / 5, std::chrono::seconds(5));
}

// Writes a finished run everywhere it was asked for. Reporters run one after another and a
// failing one never stops the others; failures go to stderr and into the result document
// (json and jsonl are written last, so they carry the others' failures). The exit code is the
// probe's: a reporter's failure does not change what the probe found.
struct Reported {
  int code;                     // the probe's exit code
  bool results_written = true;  // --json and --jsonl, when asked for, were written
};

Reported report(mc::RunResult run, const Args& a, mc::Mono::time_point deadline) {
  Reported out{mc::exit_code(run.status)};
  mc::ReportContext ctx;
  ctx.deadline = deadline;
  std::vector<std::string> succeeded;
  for (const auto& sc : run.scenarios)
    if (mc::scenario_succeeded(sc)) succeeded.push_back(sc.name);
  const double now = std::chrono::duration<double>(mc::Wall::now().time_since_epoch()).count();
  ctx.last_success = mc::LastSuccessStore(a.run.state_dir).update(succeeded, now, run.warnings);

  std::vector<std::unique_ptr<mc::Reporter>> first, last;
  if (a.push) first.push_back(std::make_unique<mc::PushgatewayReporter>(*a.push));
  if (!a.textfile_path.empty())
    first.push_back(std::make_unique<mc::TextfileReporter>(a.textfile_path));
  if (!a.junit_path.empty()) first.push_back(std::make_unique<mc::JUnitReporter>(a.junit_path));
  if (!a.html_path.empty()) first.push_back(std::make_unique<mc::HtmlReporter>(a.html_path));
  if (!a.json_path.empty()) last.push_back(std::make_unique<mc::JsonReporter>(a.json_path));
  if (!a.jsonl_path.empty()) last.push_back(std::make_unique<mc::JsonLinesReporter>(a.jsonl_path));

  std::vector<std::string> failed = mc::run_reporters(first, run, ctx);
  for (const auto& f : failed) run.warnings.push_back("reporter " + f);
  // The files' warnings were printed when they were loaded.
  for (std::size_t i = a.run.file_warnings.size(); i < run.warnings.size(); ++i)
    std::cerr << "mailcanary: warning: " << run.warnings[i] << "\n";
  if (a.nagios)
    mc::NagiosReporter(std::cout).write(run, ctx);
  else if (a.json_path != "-")
    mc::print_table(std::cout, run);
  std::cout << std::flush;
  for (const auto& f : mc::run_reporters(last, run, ctx)) {
    std::cerr << "mailcanary: warning: reporter " << f << "\n";
    out.results_written = false;
  }
  return out;
}

// --every: one round per interval, plus up to a tenth of it (at most 5 s) of random jitter, so
// probes from several vantage points do not fall into step. SIGTERM or SIGINT ends the loop: a
// round in progress may finish and report within the grace period, else it is abandoned.
int run_every(const std::vector<mc::scn::File>& files, Args& a) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::mutex m;
  std::condition_variable cv;
  bool stop = false;
  std::atomic<bool> finished{false};
  std::atomic<bool> abandon{false};
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (finished) return;
    std::cerr << "mailcanary: " << (sig == SIGINT ? "SIGINT" : "SIGTERM")
              << ": finishing the current round, then stopping\n";
    {
      std::lock_guard lock(m);
      stop = true;
    }
    cv.notify_all();
    const timespec grace{std::chrono::duration_cast<std::chrono::seconds>(kGrace).count(), 0};
    sigtimedwait(&signals, nullptr, &grace);  // a second signal, the grace period, or the end
    if (!finished) abandon = true;
  });

  const auto every = *a.every;
  a.run.deadline = a.run.deadline ? std::min(*a.run.deadline, every) : every;
  a.run.abandon = &abandon;
  std::mt19937 rng(std::random_device{}());
  const auto max_jitter = std::min<std::chrono::milliseconds>(every / 10, std::chrono::seconds(5));
  bool results_lost = false;
  for (int round = 0;; ++round) {
    const auto round_start = mc::Mono::now();
    mc::RunOptions options = a.run;
    options.deadline = *a.run.deadline - reporting_reserve(*a.run.deadline);
    mc::RunResult run = mc::run_scenarios(files, options);
    if (abandon) {
      std::cerr << "mailcanary: round " << round + 1 << " abandoned after the grace period\n";
      break;
    }
    if (!report(std::move(run), a, round_start + *a.run.deadline).results_written)
      results_lost = true;
    std::uniform_int_distribution<long long> jitter(0, max_jitter.count());
    const auto next = round_start + every + std::chrono::milliseconds(jitter(rng));
    std::unique_lock lock(m);
    if (cv.wait_until(lock, next, [&] { return stop; })) break;
  }
  finished = true;
  pthread_kill(watcher.native_handle(), SIGTERM);  // wakes it; the signal is blocked here
  watcher.join();
  return results_lost ? kUnknown : 0;
}

// The files' "reporters" lists fill in what the command line did not ask for; for each type,
// the command line wins, then the first file that names it.
void apply_file_reporters(const std::vector<mc::scn::File>& files, Args& a) {
  for (const auto& f : files)
    for (const auto& r : f.reporters) {
      if (r.type == "json" && a.json_path.empty()) a.json_path = r.path;
      if (r.type == "jsonl" && a.jsonl_path.empty()) a.jsonl_path = r.path;
      if (r.type == "textfile" && a.textfile_path.empty()) a.textfile_path = r.path;
      if (r.type == "junit" && a.junit_path.empty()) a.junit_path = r.path;
      if (r.type == "html" && a.html_path.empty()) a.html_path = r.path;
      if (r.type == "nagios") a.nagios = a.nagios || a.json_path != "-";
      if (r.type == "pushgateway" && !a.push) {
        a.push = mc::PushConfig{};
        a.push->url = r.url;
        a.push->ca_file = r.ca_file;
        a.push->basic_auth = r.basic_auth;
        a.push->bearer_token = r.bearer_token;
        if (r.timeout) a.push->timeout = *r.timeout;
      }
    }
}

int cmd_run(int argc, char** argv) {
  Args a;
  // A plugin's output is one status line, whatever went wrong before the run.
  const bool nagios = std::find_if(argv, argv + argc, [](const char* s) {
                        return std::string_view(s) == "--nagios";
                      }) != argv + argc;
  auto unknown = [&](const std::string& err) {
    if (nagios) std::cout << mc::nagios_unknown_line(err) << "\n";
    return usage_error(err);
  };
  if (auto err = parse_run_args(argc, argv, a); !err.empty()) return unknown(err);
  mc::scn::LoadOptions load;
  load.every = a.every;
  const auto loaded = mc::scn::load_files(a.files, load);
  if (report_problems(loaded.problems)) {
    std::cerr << "mailcanary: nothing was sent; fix the problems above (mailcanary validate "
                 "checks a file)\n";
    if (a.nagios)
      std::cout << mc::nagios_unknown_line(
                       std::to_string(loaded.problems.size()) +
                       " problem(s) in the scenario files: " + loaded.problems.front().format())
                << "\n";
    return kUnknown;
  }
  apply_file_reporters(loaded.files, a);
  std::size_t selected = 0;
  for (const auto& name : a.run.scenarios) {
    bool found = false;
    for (const auto& f : loaded.files)
      for (const auto& sc : f.scenarios) found = found || sc.name == name;
    if (!found) return unknown("--scenario " + name + ": no scenario of that name in the files");
  }
  for (const auto& f : loaded.files)
    for (const auto& sc : f.scenarios)
      selected += a.run.scenarios.empty() ||
                  std::find(a.run.scenarios.begin(), a.run.scenarios.end(), sc.name) !=
                      a.run.scenarios.end();
  a.run.file_warnings = report_warnings(loaded.warnings);

  fit_open_file_limit(a.run.max_concurrency, selected);
  if (a.run.state_dir.empty()) a.run.state_dir = mc::default_state_dir();
  std::string lock_error;
  const auto lock = mc::RunLock::acquire(a.run.state_dir, lock_error);
  if (!lock) {
    std::cerr << "mailcanary: " << lock_error << "\n";
    if (a.nagios) std::cout << mc::nagios_unknown_line(lock_error) << "\n";
    return kUnknown;
  }
  if (a.every) return run_every(loaded.files, a);
  const auto start = mc::Mono::now();
  mc::RunOptions options = a.run;
  if (a.run.deadline) options.deadline = *a.run.deadline - reporting_reserve(*a.run.deadline);
  mc::RunResult run = mc::run_scenarios(loaded.files, options);
  // Without --deadline the reporters get 30 s from the moment the scenarios are done.
  const auto report_by =
      a.run.deadline ? start + *a.run.deadline : mc::Mono::now() + std::chrono::seconds(30);
  return report(std::move(run), a, report_by).code;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage_error("no command given");
  const std::string cmd = argv[1];
  if ((cmd == "run" || cmd == "validate") && wants_help(argc, argv)) {
    std::cout << kUsage;
    return 0;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);  // before any thread starts
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
