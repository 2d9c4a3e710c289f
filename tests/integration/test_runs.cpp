// Integration: how runs behave as cron and services start them — the run lock, --every with
// SIGTERM, and --deadline against servers that never answer — with scripted fake servers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/support/fake_server.hpp"
#include "tests/support/run_binary.hpp"

namespace fs = std::filesystem;
using mc::test::Conn;
using mc::test::FakeServer;
using nlohmann::json;

namespace {

// A file of `count` scenarios, each one smtp.send to the MX on `port`.
std::string scenario_file(const std::string& dir, int port, int count = 1,
                          const char* timeout = "10s") {
  json scenarios = json::array();
  for (int i = 0; i < count; ++i)
    scenarios.push_back({{"name", "mx-" + std::to_string(i)},
                         {"timeout", timeout},
                         {"steps", json::array({{{"step", "smtp.send"},
                                                 {"server", "mx"},
                                                 {"from", "probe@example.test"},
                                                 {"to", {"probe@example.test"}}}})}});
  const json file = {
      {"version", 1},
      {"servers",
       {{"mx", {{"url", "smtp://127.0.0.1:" + std::to_string(port)}, {"starttls", "off"}}}}},
      {"scenarios", scenarios}};
  mc::test::write_file(dir + "/s.json", file.dump(2));
  return dir + "/s.json";
}

std::size_t lines_in(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string l; std::getline(in, l);) n += !l.empty();
  return n;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE("run lock: a second run exits 3 at once; after SIGKILL of the first, runs go on",
          "[runs]") {
  const std::string dir = mc::test::make_temp_dir("mc-lock");
  const std::string state = dir + "/state";
  FakeServer hang([](Conn& c, int) { c.hang(); });
  const std::string file = scenario_file(dir, hang.port());

  mc::test::Spawned first(MAILCANARY_BIN, {"run", file, "--state-dir", state});
  // The first run holds the lock once it wrote its pid into it.
  for (int i = 0; i < 100 && lines_in(state + "/run.lock") == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(lines_in(state + "/run.lock") == 1);

  const auto t0 = std::chrono::steady_clock::now();
  const auto second = mc::test::run_program(
      MAILCANARY_BIN, {"run", file, "--state-dir", state, "--json", dir + "/second.json"});
  CHECK(second.exit_code == 3);
  CHECK(seconds_since(t0) < 5);  // at once, not after the first run's 10 s
  CHECK(second.err.find("another mailcanary run holds the lock " + state + "/run.lock (pid " +
                        std::to_string(first.pid()) + ")") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/second.json"));

  first.signal(SIGKILL);
  first.wait();
  FakeServer ok([](Conn& c, int) { mc::test::smtp_transaction(c); });
  const auto third = mc::test::run_program(
      MAILCANARY_BIN, {"run", scenario_file(dir, ok.port()), "--state-dir", state});
  INFO(third.err);
  CHECK(third.exit_code == 0);
  fs::remove_all(dir);
}

TEST_CASE("--every: two rounds, then SIGTERM: two result documents and a clean exit", "[runs]") {
  const std::string dir = mc::test::make_temp_dir("mc-every");
  FakeServer mx([](Conn& c, int) { mc::test::smtp_transaction(c); }, 2);
  const std::string history = dir + "/history.jsonl";
  mc::test::Spawned probe(
      MAILCANARY_BIN, {"run", scenario_file(dir, mx.port(), 1, "1s"), "--every", "1s", "--jsonl",
                       history, "--state-dir", dir + "/state"});
  for (int i = 0; i < 200 && lines_in(history) < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(lines_in(history) == 2);
  probe.signal(SIGTERM);
  const auto r = probe.wait(20);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("SIGTERM") != std::string::npos);
  std::ifstream in(history);
  int docs = 0;
  for (std::string line; std::getline(in, line); ++docs) {
    const json doc = json::parse(line);
    CHECK(doc["schema"] == "mailcanary.result/1");
    CHECK(doc["status"] == "ok");
    CHECK(doc["scenarios"][0]["steps"][0]["queue_id"] == "FAKE1");
  }
  CHECK(docs == 2);
  fs::remove_all(dir);
}

TEST_CASE("--every refuses scenarios whose timeout is longer than the interval", "[runs]") {
  const std::string dir = mc::test::make_temp_dir("mc-every");
  const auto r = mc::test::run_program(
      MAILCANARY_BIN,
      {"run", scenario_file(dir, 9, 1, "2m"), "--every", "1m", "--state-dir", dir + "/state"});
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("--every") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("validate takes --every, refuses other options, and never reads them as files",
          "[runs]") {
  const std::string dir = mc::test::make_temp_dir("mc-validate");
  const std::string file = scenario_file(dir, 9, 1, "2m");
  const auto fits = mc::test::run_program(MAILCANARY_BIN, {"validate", file, "--every", "5m"});
  CHECK(fits.exit_code == 0);
  CHECK(fits.out.find(file + ": ok") != std::string::npos);
  const auto too_long = mc::test::run_program(MAILCANARY_BIN, {"validate", file, "--every", "5s"});
  CHECK(too_long.exit_code == 3);
  CHECK(too_long.err.find("is longer than the --every interval 5s") != std::string::npos);
  CHECK(too_long.err.find("cannot read") == std::string::npos);
  const auto other = mc::test::run_program(MAILCANARY_BIN, {"validate", file, "--json", "x"});
  CHECK(other.exit_code == 3);
  CHECK(other.err.find("validate: unknown option --json") != std::string::npos);
  const auto bad = mc::test::run_program(MAILCANARY_BIN, {"validate", file, "--every", "soon"});
  CHECK(bad.exit_code == 3);
  CHECK(bad.err.find("--every needs a duration") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("option errors of run: exit 3, the message, the usage, nothing run", "[runs]") {
  const std::string dir = mc::test::make_temp_dir("mc-options");
  const std::string file = scenario_file(dir, 9);
  const std::string state = dir + "/state";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : {
           Case{{"run", file, "--bogus"}, "unknown option --bogus"},
           // mailcanary has never read --name=value, bundled flags or "--" as the end of options
           Case{{"run", file, "--deadline=90s"}, "unknown option --deadline=90s"},
           Case{{"run", file, "-vh"}, "unknown option -vh"},
           Case{{"run", file, "--", "other.json"}, "unknown option --"},
           Case{{"run", file, "--state-dir", state, "--deadline"},
                "--deadline needs a duration like 90s or 2m"},
           Case{{"run", file, "--state-dir", state, "--every", "1m", "--json", "-"},
                "--json - cannot be used with --every; give a path"},
           Case{{"run", "--state-dir", state}, "run needs at least one scenario file"},
       }) {
    const auto r = mc::test::run_program(MAILCANARY_BIN, c.args);
    INFO(c.args.back());
    CHECK(r.exit_code == 3);
    CHECK(r.err.rfind("mailcanary: " + c.message + "\n\nusage:\n", 0) == 0);
    CHECK(r.err.find("validate FILE [FILE...] [--every D]") != std::string::npos);
    CHECK(r.out.empty());
  }
  CHECK_FALSE(fs::exists(state));  // no run began: the state directory was never made
  // An option's value is the next argument, whatever it looks like.
  const auto v = mc::test::run_program(
      MAILCANARY_BIN, {"run", file, "--state-dir", state, "--vantage", "-x", "--json", "-"});
  CHECK(v.exit_code == 2);  // port 9: nothing listens
  CHECK(json::parse(v.out)["vantage"] == "-x");
  fs::remove_all(dir);
}

TEST_CASE("--help prints the usage and exits 0, for the program and each command", "[runs]") {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--help"},
                                               {"help"},
                                               {"run", "--help"},
                                               {"validate", "--help"},
                                               {"run", "x.json", "-h"}}) {
    const auto r = mc::test::run_program(MAILCANARY_BIN, args);
    INFO(args.front() << " " << args.back());
    CHECK(r.exit_code == 0);
    CHECK(r.out.rfind("usage:", 0) == 0);
    CHECK(r.out.find("validate FILE [FILE...] [--every D]") != std::string::npos);
    CHECK(r.err.empty());
  }
}

TEST_CASE("--every: a round abandoned after the grace period says so on a line of its own",
          "[runs]") {
  const std::string dir = mc::test::make_temp_dir("mc-every");
  FakeServer hang([](Conn& c, int) { c.hang(30); });
  mc::test::Spawned probe(MAILCANARY_BIN, {"run", scenario_file(dir, hang.port(), 1, "30s"),
                                           "--every", "60s", "--state-dir", dir + "/state"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  probe.signal(SIGTERM);
  const auto r = probe.wait(30);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  const std::string last = "mailcanary: round 1 abandoned after the grace period\n";
  REQUIRE(r.err.size() >= last.size());
  CHECK(r.err.compare(r.err.size() - last.size(), last.size(), last) == 0);
  fs::remove_all(dir);
}

TEST_CASE("--deadline against servers that never answer: every scenario reports in time",
          "[runs]") {
  const std::string dir = mc::test::make_temp_dir("mc-deadline");
  FakeServer hang([](Conn& c, int) { c.hang(); }, 3);
  const std::string file = scenario_file(dir, hang.port(), 3, "60s");
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = mc::test::run_program(
      MAILCANARY_BIN,
      {"run", file, "--deadline", "2s", "--json", dir + "/r.json", "--state-dir", dir + "/state"});
  const double took = seconds_since(t0);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(took < 2.0 + 1.0);  // the documented margin: one second past --deadline
  const json doc = json::parse(mc::test::read_file(dir + "/r.json"));
  REQUIRE(doc["scenarios"].size() == 3);
  for (const auto& sc : doc["scenarios"]) {
    CHECK(sc["failure"]["reason"] == "timeout");
    CHECK(sc["failure"]["phase"] == "banner");
  }
  fs::remove_all(dir);
}

TEST_CASE("--max-concurrency 1 with a deadline: a scenario that never started still reports",
          "[runs]") {
  const std::string dir = mc::test::make_temp_dir("mc-deadline");
  FakeServer hang([](Conn& c, int) { c.hang(); }, 1);
  const std::string file = scenario_file(dir, hang.port(), 2, "60s");
  const auto r = mc::test::run_program(
      MAILCANARY_BIN, {"run", file, "--deadline", "1s", "--max-concurrency", "1", "--json",
                       dir + "/r.json", "--state-dir", dir + "/state"});
  CHECK(r.exit_code == 2);
  const json doc = json::parse(mc::test::read_file(dir + "/r.json"));
  REQUIRE(doc["scenarios"].size() == 2);
  CHECK(doc["scenarios"][0]["failure"]["phase"] == "banner");
  CHECK(doc["scenarios"][1]["failure"]["reason"] == "timeout");
  CHECK_FALSE(doc["scenarios"][1]["failure"]["phase"].get<std::string>().empty());
  fs::remove_all(dir);
}

TEST_CASE("examples/platform.json validates clean once its secrets are set", "[runs]") {
  const std::string file = std::string(MAILCANARY_SOURCE_DIR) + "/examples/platform.json";
  const auto ok = mc::test::run_program(
      MAILCANARY_BIN, {"validate", file},
      {{"MAILCANARY_PROBE1_PASSWORD", "x"}, {"MAILCANARY_PROBE2_PASSWORD", "y"}});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("ok (3 scenario(s))") != std::string::npos);
  const auto missing = mc::test::run_program(
      MAILCANARY_BIN, {"validate", file},
      {{"MAILCANARY_PROBE1_PASSWORD", ""}, {"MAILCANARY_PROBE2_PASSWORD", ""}});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find("MAILCANARY_PROBE1_PASSWORD is not set") != std::string::npos);
}

TEST_CASE("a run killed while waiting has already recorded its probe as pending", "[runs]") {
  const std::string dir = mc::test::make_temp_dir("mc-kill");
  FakeServer mx([](Conn& c, int) { mc::test::smtp_transaction(c); });
  // Logs in (the session opens before the probe is sent), then never answers the SELECT.
  FakeServer store([](Conn& c, int) {
    c.send("* OK fake\r\n");
    for (int i = 0; i < 5; ++i) {
      const auto l = c.line();
      if (!l || l->find(" SELECT ") != std::string::npos) break;
      const std::string tag = l->substr(0, l->find(' '));
      if (l->find(" CAPABILITY") != std::string::npos)
        c.send("* CAPABILITY IMAP4rev1\r\n" + tag + " OK done\r\n");
      else
        c.send(tag + " OK logged in\r\n");
    }
    c.hang();
  });
  const json file = {
      {"version", 1},
      {"servers",
       {{"mx", {{"url", "smtp://127.0.0.1:" + std::to_string(mx.port())}, {"starttls", "off"}}},
        {"store",
         {{"url", "imap://127.0.0.1:" + std::to_string(store.port())},
          {"starttls", "off"},
          {"allow_plaintext_auth", true}}}}},
      {"accounts", {{"probe", {{"user", "probe"}, {"password", {{"env", "MC_KILL_PW"}}}}}}},
      {"scenarios", json::array({{{"name", "killed"},
                                  {"timeout", "30s"},
                                  {"steps", json::array({{{"step", "smtp.send"},
                                                          {"server", "mx"},
                                                          {"from", "probe@example.test"},
                                                          {"to", {"probe@example.test"}}},
                                                         {{"step", "imap.wait"},
                                                          {"server", "store"},
                                                          {"account", "probe"}}})}}})}};
  mc::test::write_file(dir + "/s.json", file.dump());
  const std::string pending = dir + "/state/pending";
  mc::test::Spawned probe(MAILCANARY_BIN, {"run", dir + "/s.json", "--state-dir", dir + "/state"},
                          {{"MC_KILL_PW", "pw"}});
  bool recorded = false;
  for (int i = 0; i < 200 && !recorded; ++i) {
    recorded = fs::exists(pending) && !fs::is_empty(pending);
    if (!recorded) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  probe.signal(SIGKILL);
  probe.wait();
  REQUIRE(recorded);
  int files = 0;
  for (const auto& e : fs::directory_iterator(pending)) {
    const json p = json::parse(mc::test::read_file(e.path().string()));
    CHECK(p["scenario"] == "killed");
    CHECK(p["seen"] == false);
    CHECK(e.path().filename().string() == p["token"].get<std::string>() + ".json");
    ++files;
  }
  CHECK(files == 1);
  fs::remove_all(dir);
}

// A name server that reads every query and never answers, as one behind a dropping firewall:
// a UDP socket on loopback that nobody reads from (the kernel keeps the queries).
class SilentResolver {
 public:
  SilentResolver() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
  }
  ~SilentResolver() { ::close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

json silent_dns_file(const SilentResolver& dns, const char* dns_timeout) {
  json scenarios = json::array();
  for (const char* host : {"mx.silent.test", "mx2.silent.test"})
    scenarios.push_back({{"name", host},
                         {"timeout", "60s"},
                         {"steps", json::array({{{"step", "smtp.send"},
                                                 {"server", host},
                                                 {"from", "probe@example.test"},
                                                 {"to", {"probe@example.test"}}}})}});
  return {{"version", 1},
          {"dns", {{"servers", {dns.address()}}, {"timeout", dns_timeout}}},
          {"servers",
           {{"mx.silent.test", {{"url", "smtp://mx.silent.test:25"}, {"starttls", "off"}}},
            {"mx2.silent.test", {{"url", "smtp://mx2.silent.test:25"}, {"starttls", "off"}}}}},
          {"scenarios", scenarios}};
}

TEST_CASE("a name server that never answers: the run still ends in its deadline, phase resolve",
          "[runs]") {
  const std::string dir = mc::test::make_temp_dir("mc-dns");
  SilentResolver dns;
  mc::test::write_file(dir + "/s.json", silent_dns_file(dns, "30s").dump());
  const auto t0 = std::chrono::steady_clock::now();
  const auto r =
      mc::test::run_program(MAILCANARY_BIN, {"run", dir + "/s.json", "--deadline", "2s", "--json",
                                             dir + "/r.json", "--state-dir", dir + "/state"});
  INFO(r.out << r.err);
  CHECK(seconds_since(t0) < 2.0 + 1.0);
  CHECK(r.exit_code == 2);
  const json doc = json::parse(mc::test::read_file(dir + "/r.json"));
  for (const auto& sc : doc["scenarios"]) {
    CHECK(sc["failure"]["phase"] == "resolve");
    CHECK(sc["failure"]["reason"] == "timeout");
  }
  fs::remove_all(dir);
}

TEST_CASE("a name server that never answers: the dns timeout ends the lookup, reason dns",
          "[runs]") {
  const std::string dir = mc::test::make_temp_dir("mc-dns");
  SilentResolver dns;
  mc::test::write_file(dir + "/s.json", silent_dns_file(dns, "500ms").dump());
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = mc::test::run_program(
      MAILCANARY_BIN,
      {"run", dir + "/s.json", "--json", dir + "/r.json", "--state-dir", dir + "/state"});
  INFO(r.out << r.err);
  // Both scenarios run at once, each lookup bounded by its own 500 ms.
  CHECK(seconds_since(t0) < 3.0);
  CHECK(r.exit_code == 2);
  const json doc = json::parse(mc::test::read_file(dir + "/r.json"));
  for (const auto& sc : doc["scenarios"]) {
    CHECK(sc["failure"]["phase"] == "resolve");
    CHECK(sc["failure"]["reason"] == "dns");
    CHECK(sc["failure"]["message"].get<std::string>().find("mx") != std::string::npos);
  }
  fs::remove_all(dir);
}
