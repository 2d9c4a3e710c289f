// The command line through CLI11. CLI11 finds the command, matches option names and gathers their
// values; what a value must be, the messages and the usage text are mailcanary's own.
#include "probe/cli.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string_view>

#include "codec/time.hpp"

namespace mc::cli {

const char* const kUsage =
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

namespace {

using std::chrono::milliseconds;

const char* const kEveryNeeds = "--every needs a duration like 60s or 5m";

bool positive_duration(const std::string& text, milliseconds& out) {
  return mc::parse_duration(text, out) && out.count() > 0;
}

bool positive_duration(const std::string& text, std::optional<milliseconds>& out) {
  milliseconds d{};
  if (!positive_duration(text, d)) return false;
  out = d;
  return true;
}

bool is_help(std::string_view arg) {
  return arg == "--help" || arg == "-h";
}

// One command's options. CLI11 matches the names and gathers the values; an option's `take`
// checks a value and stores it, as soon as it is parsed and for every time the option is given,
// so that the first bad value in the order given is the one reported.
class Options {
 public:
  using Take = std::function<bool(const std::string&)>;

  explicit Options(CLI::App& app) : app_(app) { app_.set_help_flag("-h,--help"); }
  Options(const Options&) = delete;  // its options' callbacks hold `this`
  Options& operator=(const Options&) = delete;

  // `needs` is the error for a value that `take` refuses, and for one missing at the end.
  void option(const std::string& name, const std::string& needs, Take take) {
    needs_[name] = needs;
    app_.add_option(name,
                    [this, needs, take](const CLI::results_t& results) {
                      const std::string& value = results.front();
                      values_.push_back(value);
                      if (!take(value) && bad_value_.empty())
                        bad_value_ = refused_.empty() ? needs : refused_;
                      refused_.clear();
                      return true;
                    })
        ->trigger_on_parse();
  }
  // An option that takes any value, the empty one included.
  void text_option(const std::string& name, const std::string& needs, std::string& out) {
    option(name, needs, [&out](const std::string& v) {
      out = v;
      return true;
    });
  }
  void flag(const std::string& names, bool& out) { app_.add_flag(names, out); }
  // Called by a `take`: refuses the value with an error of its own instead of `needs`.
  bool refuse(std::string error) {
    refused_ = std::move(error);
    return false;
  }

  const std::string& bad_value() const { return bad_value_; }

  // A value can only be missing at the very end: the last argument is the option wanting it.
  std::string missing_value(const std::string& last_arg, const std::string& otherwise) const {
    const auto it = needs_.find(last_arg);
    return it == needs_.end() ? otherwise : it->second;
  }

  // The first argument that looks like an option (starts with '-', and is not "-") but is none
  // of this command's and was not taken as an option's value. CLI11's own check would let
  // through what mailcanary has never accepted: "--" as the end of the options, --name=value,
  // bundled short flags such as -vh, and -5 (a number to CLI11, an unknown option here).
  std::optional<std::string> unknown(const std::vector<std::string>& args) const {
    std::multiset<std::string> values(values_.begin(), values_.end());
    for (const auto& arg : args) {
      if (arg.size() < 2 || arg[0] != '-' || app_.get_option_no_throw(arg) != nullptr) continue;
      const auto value = values.find(arg);
      if (value == values.end()) return arg;
      values.erase(value);
    }
    return std::nullopt;
  }

 private:
  CLI::App& app_;
  std::map<std::string, std::string> needs_;  // by option name
  std::vector<std::string> values_;           // every value taken, in order
  std::string bad_value_;                     // the first refused value's error
  std::string refused_;                       // a `take`'s own error for the value at hand
};

bool http_url(const std::string& v) {
  return v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0;
}

void add_run_options(Options& o, Args& a) {
  o.option("--scenario", "--scenario needs a scenario name", [&a](const std::string& v) {
    a.run.scenarios.push_back(v);
    return true;
  });
  o.text_option("--vantage", "--vantage needs a name", a.run.vantage);
  o.text_option("--json", "--json needs a path, or - for stdout", a.json_path);
  o.option("--jsonl", "--jsonl needs a path", [&a](const std::string& v) {
    a.jsonl_path = v;
    return !v.empty();
  });
  o.option("--deadline", "--deadline needs a duration like 90s or 2m",
           [&a](const std::string& v) { return positive_duration(v, a.run.deadline); });
  o.option("--every", kEveryNeeds,
           [&a](const std::string& v) { return positive_duration(v, a.every); });
  o.option("--lost-after", "--lost-after needs a duration like 30m or 2h",
           [&a](const std::string& v) { return positive_duration(v, a.run.lost_after); });
  o.option("--max-concurrency", "--max-concurrency needs a whole number of at least 1",
           [&a](const std::string& v) {
             if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != v.npos)
               return false;
             a.run.max_concurrency = std::stoul(v);
             return a.run.max_concurrency > 0;
           });
  o.option("--state-dir", "--state-dir needs a directory", [&a](const std::string& v) {
    a.run.state_dir = v;
    return !v.empty();
  });
  o.flag("-v,--verbose", a.run.verbose);
  o.option("--push", "--push needs the Pushgateway's URL, like http://pushgateway:9091",
           [&o, &a](const std::string& v) {
             if (!http_url(v)) return false;
             if (mc::url_has_userinfo(v))
               return o.refuse(
                   "--push: put the credentials into a file for --push-auth-file, not into the "
                   "URL");
             a.push = mc::PushConfig{};
             a.push->url = v;
             return true;
           });
  o.text_option("--push-auth-file", "--push-auth-file needs a file holding user:password",
                a.push_auth_file);
  o.text_option("--push-token-file", "--push-token-file needs a file holding the token",
                a.push_token_file);
  o.text_option("--push-ca-file", "--push-ca-file needs a CA certificate file", a.push_ca_file);
  o.option("--textfile",
           "--textfile needs a path ending in .prom (node_exporter reads only *.prom)",
           [&a](const std::string& v) {
             a.textfile_path = v;
             return v.size() >= 6 && v.compare(v.size() - 5, 5, ".prom") == 0;
           });
  o.flag("--nagios", a.nagios);
  o.option("--junit", "--junit needs a path", [&a](const std::string& v) {
    a.junit_path = v;
    return !v.empty();
  });
  o.option("--html", "--html needs a path", [&a](const std::string& v) {
    a.html_path = v;
    return !v.empty();
  });
}

// What run's options say together, and the Pushgateway's secrets read from their files.
std::string finish_run(Args& a) {
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

}  // namespace

Parsed parse(int argc, const char* const* argv) {
  Parsed p;
  CLI::App app;
  app.set_help_flag();  // `mailcanary --help` is the help command; removed before the commands
  app.allow_extras();   // inherited: unknown options and scenario files are judged below
  app.require_subcommand(1);
  CLI::App* run = app.add_subcommand("run");
  CLI::App* validate = app.add_subcommand("validate");
  CLI::App* version = app.add_subcommand("version")->alias("--version");
  CLI::App* help = app.add_subcommand("help")->alias("--help")->alias("-h");
  Options run_options(*run);
  add_run_options(run_options, p.args);
  // validate takes the one option that changes what is valid: a scenario timeout must fit in
  // --every D.
  Options validate_options(*validate);
  validate_options.option("--every", kEveryNeeds, [&p](const std::string& v) {
    return positive_duration(v, p.args.every);
  });

  std::string value_missing, parse_error;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    // Help is judged from the arguments below, as it always was: -vh is no help, and
    // `--vantage --help` is.
  } catch (const CLI::ArgumentMismatch& e) {
    value_missing = e.what();
  } catch (const CLI::ParseError& e) {
    parse_error = e.what();  // no command at all; anything else is a mistake found below
  }

  // The command comes first: in `mailcanary --bogus run` there is no command.
  const auto commands = app.get_subcommands();
  if (commands.empty() || !commands.front()->check_name(argc > 1 ? argv[1] : "")) {
    p.error = argc < 2 ? "no command given" : "unknown command '" + std::string(argv[1]) + "'";
    return p;
  }
  CLI::App* const cmd = commands.front();
  if (cmd == help || cmd == version) {  // whatever follows is ignored
    p.command = cmd == help ? Command::help : Command::version;
    return p;
  }
  p.command = cmd == run ? Command::run : Command::validate;
  const Options& o = cmd == run ? run_options : validate_options;
  const std::vector<std::string> args(argv + 2, argv + argc);
  p.args.files = cmd->remaining();  // what no option took: the scenario files
  if (std::any_of(args.begin(), args.end(), is_help)) {
    p.command = Command::help;
  } else if (const auto unknown = o.unknown(args)) {
    p.error = cmd == run ? "unknown option " + *unknown
                         : "validate: unknown option " + *unknown +
                               "; validate takes scenario files and --every D (the other run "
                               "options do not change what is valid)";
  } else if (!o.bad_value().empty()) {
    p.error = o.bad_value();
  } else if (!value_missing.empty()) {
    p.error = o.missing_value(args.back(), value_missing);
  } else if (!parse_error.empty()) {
    p.error = parse_error;
  } else if (p.args.files.empty()) {
    p.error = cmd == run ? "run needs at least one scenario file"
                         : "validate needs at least one scenario file";
  } else if (cmd == run) {
    p.error = finish_run(p.args);
  }
  return p;
}

}  // namespace mc::cli
