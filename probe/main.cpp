// mailcanary: runs what the command line (probe/cli.cpp) asks for: run, validate, version, help.
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
#include "probe/cli.hpp"
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

int usage_error(const std::string& message) {
  std::cerr << "mailcanary: " << message << "\n\n" << mc::cli::kUsage;
  return kUnknown;
}

using mc::cli::Args;

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

int cmd_validate(const Args& a) {
  mc::scn::LoadOptions load;
  load.every = a.every;
  const auto loaded = mc::scn::load_files(a.files, load);
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

// `nagios`: --nagios was asked for, so that a plugin's output is one status line whatever went
// wrong before the run.
int cmd_run(Args a, bool nagios) {
  auto unknown = [&](const std::string& err) {
    if (nagios) std::cout << mc::nagios_unknown_line(err) << "\n";
    return usage_error(err);
  };
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
  curl_global_init(CURL_GLOBAL_DEFAULT);  // before any thread starts
  try {
    const mc::cli::Parsed p = mc::cli::parse(argc, argv);
    const bool nagios =
        p.command == mc::cli::Command::run && std::find_if(argv, argv + argc, [](const char* s) {
                                                return std::string_view(s) == "--nagios";
                                              }) != argv + argc;
    if (!p.error.empty()) {
      if (nagios) std::cout << mc::nagios_unknown_line(p.error) << "\n";
      return usage_error(p.error);
    }
    switch (p.command) {
      case mc::cli::Command::run:
        return cmd_run(p.args, nagios);
      case mc::cli::Command::validate:
        return cmd_validate(p.args);
      case mc::cli::Command::version:
        std::cout << "mailcanary " << MAILCANARY_VERSION << "\n";
        return 0;
      case mc::cli::Command::help:
        std::cout << mc::cli::kUsage;
        return 0;
      case mc::cli::Command::none:  // parse() says none only with an error
        break;
    }
    return kUnknown;
  } catch (const std::exception& e) {
    std::cerr << "mailcanary: internal error: " << e.what() << "\n";
    return kUnknown;
  }
}
