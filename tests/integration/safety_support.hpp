// The helpers of the safety integration tests: a scenario file around given servers and steps,
// a run of the binary on it with the sentinel password that reads back the JSON result, and the
// server sides the tests share.
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/fake_server.hpp"
#include "tests/support/run_binary.hpp"

namespace safety_support {

namespace fs = std::filesystem;
using mc::test::Conn;
using mc::test::FakeServer;
using nlohmann::json;

inline const std::string kSentinel = "S3ntinel-plain-0c4e";
// base64("\0probe@example.test\0S3ntinel-plain-0c4e"): the AUTH PLAIN response.
inline const std::string kSentinelPlain = "AHByb2JlQGV4YW1wbGUudGVzdABTM250aW5lbC1wbGFpbi0wYzRl";

struct Ran {
  mc::test::Ran ran;
  json result;
  const json& scenario() const { return result["scenarios"][0]; }
};

inline json file_with(const json& servers, const json& steps, const char* timeout = "20s") {
  return {
      {"version", 1},
      {"servers", servers},
      {"accounts",
       {{"probe", {{"user", "probe@example.test"}, {"password", {{"env", "MC_SAFETY_PW"}}}}}}},
      {"scenarios", json::array({{{"name", "safety"}, {"timeout", timeout}, {"steps", steps}}})}};
}

inline Ran run(const std::string& dir, const json& file, std::vector<std::string> extra = {}) {
  mc::test::write_file(dir + "/s.json", file.dump(2));
  std::vector<std::string> args = {"run",           dir + "/s.json", "--json",
                                   dir + "/r.json", "--state-dir",   dir + "/state"};
  args.insert(args.end(), extra.begin(), extra.end());
  Ran r;
  fs::remove(dir + "/r.json");
  r.ran = mc::test::run_program(MAILCANARY_BIN, args, {{"MC_SAFETY_PW", kSentinel}}, 60);
  if (fs::exists(dir + "/r.json")) r.result = json::parse(mc::test::read_file(dir + "/r.json"));
  return r;
}

inline json submission_step() {
  return {{"step", "smtp.send"},
          {"server", "submission"},
          {"account", "probe"},
          {"to", {"probe@example.test"}}};
}

// EHLO offers AUTH but no STARTTLS, as it does when someone on the path strips STARTTLS.
inline void stripped_banner_and_ehlo(Conn& c) {
  c.send("220 fake.test ESMTP\r\n");
  c.expect("EHLO");
  c.send("250-fake.test\r\n250 AUTH PLAIN LOGIN\r\n");
}

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace safety_support
