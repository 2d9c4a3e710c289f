// The helpers of the scenario loading tests: a row is a set of files and the exact problems
// loading them must give; each row gets a temporary directory; a good file gives the rows one
// line to vary.
#pragma once

#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"

namespace scenario_rows {

namespace fs = std::filesystem;

// The password the tests put in the environment: no message may ever show it.
inline const char* const kSentinel = "sentinel-pw-7f3e";

struct TestFile {
  std::string name;  // under the row's directory
  std::string text;
  mode_t mode = 0644;
  bool load = true;   // false for secret files: written, not given to load_files
  bool write = true;  // false for a file that must not exist
};

struct Row {
  const char* name;
  std::vector<TestFile> files;
  std::vector<std::string> expected;  // "{dir}" stands for the row's directory
  std::optional<std::chrono::milliseconds> every = std::nullopt;
};

inline std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mc-scenario-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes the row's files and returns the formatted problems of loading them.
inline std::vector<std::string> load_row(const Row& row, const std::string& dir,
                                         mc::scn::Loaded* loaded_out = nullptr) {
  std::vector<std::string> paths;
  for (const auto& f : row.files) {
    const std::string p = dir + "/" + f.name;
    if (f.write && !fs::exists(p)) {
      std::ofstream(p, std::ios::binary) << f.text;
      ::chmod(p.c_str(), f.mode);
    }
    if (f.load) paths.push_back(p);
  }
  mc::scn::LoadOptions options;
  options.every = row.every;
  auto loaded = mc::scn::load_files(paths, options);
  std::vector<std::string> out;
  for (const auto& p : loaded.problems) out.push_back(p.format());
  if (loaded_out != nullptr) *loaded_out = std::move(loaded);
  return out;
}

// Loads every row (the test password set, the unset one unset) and checks that it gives exactly
// its problems, in order, none of them showing the password.
inline void check_rows(const std::vector<Row>& rows) {
  ::setenv("MC_TEST_PW", kSentinel, 1);
  ::unsetenv("MC_TEST_UNSET_PW");
  for (const auto& row : rows) {
    INFO("row: " << row.name);
    TempDir dir;
    std::vector<std::string> expected;
    for (const auto& e : row.expected) expected.push_back(replace_all(e, "{dir}", dir.path()));
    const auto problems = load_row(row, dir.path());
    CHECK(problems == expected);
    for (const auto& p : problems) CHECK(p.find(kSentinel) == std::string::npos);
  }
}

// A good file, in one line per server, account and step so that rows can vary one of them.
inline const std::string kGood = R"({
  "version": 1,
  "servers": {
    "submission": { "url": "smtp://mail.example.test:587" },
    "store": { "url": "imaps://mail.example.test" }
  },
  "accounts": {
    "probe": { "user": "probe@example.test", "password": { "env": "MC_TEST_PW" } }
  },
  "scenarios": [
    { "name": "roundtrip", "timeout": "60s", "steps": [
      { "step": "smtp.send", "server": "submission", "account": "probe" },
      { "step": "imap.wait", "server": "store", "account": "probe", "warn": "5s", "crit": "20s" },
      { "step": "imap.delete" } ] }
  ]
}
)";

// `text` with `from`, which must occur exactly once, replaced by `to`.
inline std::string edit(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos)
    throw std::logic_error("edit: not found exactly once: " + from);
  return text.replace(at, from.size(), to);
}

inline std::string good_with(const std::string& from, const std::string& to) {
  return edit(kGood, from, to);
}

inline const std::string kSendLine =
    R"({ "step": "smtp.send", "server": "submission", "account": "probe" },)";
inline const std::string kWaitLine =
    R"({ "step": "imap.wait", "server": "store", "account": "probe", "warn": "5s", "crit": "20s" },)";
inline const std::string kPasswordLine = R"("password": { "env": "MC_TEST_PW" })";

}  // namespace scenario_rows
