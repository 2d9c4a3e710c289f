// The runner's test bench: a scenario file against the scripted platform of
// scripted_platform.hpp, run with its fake clock and transport, and helpers to read the result.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "probe/runner.hpp"
#include "tests/unit/scenario_rows.hpp"
#include "tests/unit/scripted_platform.hpp"

namespace runner_bench {

using namespace std::chrono_literals;
using scenario_rows::TempDir;
using scripted::FakeClock;
using scripted::Platform;
using scripted::ScriptedTransport;

inline const std::string kSmtpSend =
    R"({ "step": "smtp.send", "server": "submission", "account": "probe" })";
inline const std::string kImapWait =
    R"({ "step": "imap.wait", "server": "store", "account": "probe", "timeout": "5s" })";
inline const std::string kImapDelete = R"({ "step": "imap.delete" })";
inline const std::string kRoundTrip = kSmtpSend + ", " + kImapWait + ", " + kImapDelete;

// A scenario file with these steps against the scripted servers (port 465 is SMTP, 993 IMAP).
inline std::string file_with(const std::string& steps,
                             const std::string& scenario_timeout = "30s") {
  return R"({ "version": 1,
  "servers": { "submission": { "url": "smtps://mail.test:465" },
               "store": { "url": "imaps://mail.test:993" } },
  "accounts": { "probe": { "user": "probe@mail.test", "password": { "env": "MC_RUNNER_PW" } } },
  "scenarios": [ { "name": "s", "timeout": ")" +
         scenario_timeout + R"(", "steps": [ )" + steps + R"( ] } ] })";
}

struct Bench {
  TempDir dir;
  FakeClock clock;
  Platform platform{clock};
  ScriptedTransport transport{platform};
  std::string state_dir;

  Bench() {
    ::setenv("MC_RUNNER_PW", platform.password.c_str(), 1);
    state_dir = dir.path() + "/state";
  }

  mc::RunResult run(const std::string& steps, const std::string& scenario_timeout = "30s") {
    const std::string path = dir.path() + "/s.json";
    std::ofstream(path) << file_with(steps, scenario_timeout);
    auto loaded = mc::scn::load_files({path});
    for (const auto& p : loaded.problems) FAIL(p.format());
    mc::RunOptions o;
    o.clock = &clock;
    o.transport = &transport;
    o.state_dir = state_dir;
    return mc::run_scenarios(loaded.files, o);
  }
};

inline const mc::StepResult& step(const mc::RunResult& r, std::size_t i) {
  REQUIRE(r.scenarios.size() == 1);
  REQUIRE(r.scenarios[0].steps.size() > i);
  return r.scenarios[0].steps[i];
}

inline std::vector<std::string> phases_of(const mc::StepResult& s) {
  std::vector<std::string> out;
  for (const auto& p : s.phases) out.push_back(p.name);
  return out;
}

}  // namespace runner_bench
