// Integration: the reporters against what they feed — a real Prometheus Pushgateway (started by
// tests/integration/pushgateway.sh), promtool for the textfile, and each other: a failing
// reporter never stops the rest. The mail side is a scripted fake server.
#include <curl/curl.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "tests/support/fake_server.hpp"
#include "tests/support/run_binary.hpp"

namespace fs = std::filesystem;
using mc::test::Conn;
using mc::test::FakeServer;
using nlohmann::json;

namespace {

std::string gateway() {
  const char* port = std::getenv("MC_PUSHGATEWAY_PORT");
  return std::string("http://127.0.0.1:") + (port ? port : "19091");
}

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::string http(const std::string& url, const char* method = "GET") {
  std::string body;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) throw std::runtime_error(url + ": " + curl_easy_strerror(rc));
  return body;
}

// The gateway's /metrics lines of mailcanary's group for `vantage`.
std::vector<std::string> pushed(const std::string& vantage) {
  std::vector<std::string> out;
  std::istringstream in(http(gateway() + "/metrics"));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("mailcanary_", 0) == 0 &&
        line.find("vantage=\"" + vantage + "\"") != std::string::npos)
      out.push_back(line);
  return out;
}

std::optional<std::string> value_of(const std::vector<std::string>& lines,
                                    const std::string& family) {
  for (const auto& l : lines)
    if (l.rfind(family + "{", 0) == 0) return l.substr(l.rfind(' ') + 1);
  return std::nullopt;
}

struct Setup {
  std::string dir = mc::test::make_temp_dir("mc-report");
  std::string state = dir + "/state";
  ~Setup() { fs::remove_all(dir); }

  std::string file(int port) {
    const json f = {
        {"version", 1},
        {"servers",
         {{"mx", {{"url", "smtp://127.0.0.1:" + std::to_string(port)}, {"starttls", "off"}}}}},
        {"scenarios", json::array({{{"name", "mx"},
                                    {"timeout", "5s"},
                                    {"steps", json::array({{{"step", "smtp.send"},
                                                            {"server", "mx"},
                                                            {"from", "probe@example.test"},
                                                            {"to", {"probe@example.test"}}}})}}})}};
    mc::test::write_file(dir + "/s.json", f.dump());
    return dir + "/s.json";
  }

  mc::test::Ran run(const char* final_reply, const std::string& vantage,
                    std::vector<std::string> extra = {}) {
    FakeServer mx([&](Conn& c, int) { mc::test::smtp_transaction(c, final_reply); });
    std::vector<std::string> args = {"run",         file(mx.port()), "--vantage", vantage,
                                     "--state-dir", state,           "--push",    gateway()};
    args.insert(args.end(), extra.begin(), extra.end());
    return mc::test::run_program(MAILCANARY_BIN, args, {}, 60);
  }
};

const char* kAccepted = "250 2.0.0 Ok: queued as FAKE1\r\n";
const char* kRefused = "554 5.7.1 refused\r\n";

}  // namespace

TEST_CASE("pushgateway: the contract's families under job=mailcanary and the vantage",
          "[reporters]") {
  Setup s;
  const auto r = s.run(kAccepted, "pgw-families");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = pushed("pgw-families");
  for (const char* family :
       {"mailcanary_success", "mailcanary_duration_seconds", "mailcanary_step_duration_seconds",
        "mailcanary_phase_duration_seconds", "mailcanary_last_run_timestamp_seconds",
        "mailcanary_last_success_timestamp_seconds"})
    CHECK(value_of(lines, family).has_value());
  CHECK(
      std::find(
          lines.begin(), lines.end(),
          R"(mailcanary_success{instance="",job="mailcanary",scenario="mx",vantage="pgw-families"} 1)") !=
      lines.end());
  http(gateway() + "/metrics/job/mailcanary/vantage/pgw-families", "DELETE");
}

TEST_CASE("pushgateway: a failed run keeps the last success time; a success clears failures",
          "[reporters]") {
  Setup s;
  REQUIRE(s.run(kAccepted, "pgw-cycle").exit_code == 0);
  const auto success_time =
      value_of(pushed("pgw-cycle"), "mailcanary_last_success_timestamp_seconds");
  REQUIRE(success_time);

  REQUIRE(s.run(kRefused, "pgw-cycle").exit_code == 2);
  auto lines = pushed("pgw-cycle");
  CHECK(value_of(lines, "mailcanary_success") == "0");
  CHECK(value_of(lines, "mailcanary_last_success_timestamp_seconds") == success_time);
  CHECK(
      std::find(
          lines.begin(), lines.end(),
          R"(mailcanary_failure_info{instance="",job="mailcanary",phase="message",reason="rejected",scenario="mx",step="smtp.send",vantage="pgw-cycle"} 1)") !=
      lines.end());

  REQUIRE(s.run(kAccepted, "pgw-cycle").exit_code == 0);
  lines = pushed("pgw-cycle");
  CHECK(value_of(lines, "mailcanary_success") == "1");
  CHECK_FALSE(value_of(lines, "mailcanary_failure_info").has_value());
  CHECK(std::stod(*value_of(lines, "mailcanary_last_success_timestamp_seconds")) >=
        std::stod(*success_time));
  http(gateway() + "/metrics/job/mailcanary/vantage/pgw-cycle", "DELETE");
}

TEST_CASE("pushgateway down: the run ends in its deadline, other reporters write, it is reported",
          "[reporters]") {
  Setup s;
  FakeServer mx([&](Conn& c, int) { mc::test::smtp_transaction(c, kAccepted); });
  // A port nothing listens on stands for a gateway that is down.
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = mc::test::run_program(
      MAILCANARY_BIN,
      {"run", s.file(mx.port()), "--state-dir", s.state, "--push", "http://127.0.0.1:9",
       "--deadline", "5s", "--textfile", s.dir + "/m.prom", "--json", s.dir + "/r.json"});
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(r.err);
  CHECK(r.exit_code == 0);  // the probe itself succeeded
  CHECK(took < 6);
  CHECK(r.err.find("reporter pushgateway: push to http://127.0.0.1:9") != std::string::npos);
  CHECK(fs::exists(s.dir + "/m.prom"));
  const json doc = json::parse(mc::test::read_file(s.dir + "/r.json"));
  REQUIRE(doc["warnings"].size() == 1);
  CHECK(doc["warnings"][0].get<std::string>().rfind("reporter pushgateway:", 0) == 0);
}

TEST_CASE("textfile: promtool check metrics accepts it; written atomically as *.prom",
          "[reporters]") {
  Setup s;
  FakeServer mx([&](Conn& c, int) { mc::test::smtp_transaction(c, kRefused); });
  const std::string prom = s.dir + "/mailcanary.prom";
  const auto r = mc::test::run_program(
      MAILCANARY_BIN, {"run", s.file(mx.port()), "--state-dir", s.state, "--textfile", prom});
  REQUIRE(r.exit_code == 2);
  const auto check =
      mc::test::run_program("/bin/sh", {"-c", "/usr/bin/promtool check metrics < " + prom});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);
  const std::string text = mc::test::read_file(prom);
  CHECK(text.find("mailcanary_failure_info{scenario=\"mx\",step=\"smtp.send\",phase=\"message\","
                  "reason=\"rejected\",vantage=") != std::string::npos);
  for (const auto& e : fs::directory_iterator(s.dir))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
  const auto bad =
      mc::test::run_program(MAILCANARY_BIN, {"run", s.file(1), "--textfile", s.dir + "/m.txt"});
  CHECK(bad.exit_code == 3);
  CHECK(bad.err.find("ending in .prom") != std::string::npos);
}

TEST_CASE("--nagios: one line on stdout and the plugin exit code", "[reporters]") {
  Setup s;
  FakeServer mx([&](Conn& c, int) { mc::test::smtp_transaction(c, kRefused); });
  const auto r = mc::test::run_program(
      MAILCANARY_BIN, {"run", s.file(mx.port()), "--state-dir", s.state, "--nagios"});
  CHECK(r.exit_code == 2);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
  CHECK(r.out.rfind("MAILCANARY CRITICAL - 0 of 1 scenarios ok; mx: smtp.send/message rejected "
                    "(554 5.7.1 refused) | 'mx total'=",
                    0) == 0);
  const auto bad =
      mc::test::run_program(MAILCANARY_BIN, {"run", s.dir + "/missing.json", "--nagios"});
  CHECK(bad.exit_code == 3);
  CHECK(bad.out.rfind("MAILCANARY UNKNOWN - 1 problem(s) in the scenario files: ", 0) == 0);
  const auto unknown_scenario =
      mc::test::run_program(MAILCANARY_BIN, {"run", s.file(1), "--nagios", "--scenario", "nope"});
  CHECK(unknown_scenario.exit_code == 3);
  CHECK(unknown_scenario.out ==
        "MAILCANARY UNKNOWN - --scenario nope: no scenario of that name in the files\n");
}
