// The scenario loader on a fuzzer-chosen file: load_files with secrets left unresolved, as
// `mailcanary validate` may run it. The input is written to one file per process (under
// $TMPDIR), which is what load_files reads.
//
// Asserts beyond "no crash" and no exception escaping load_files: every problem and warning
// names this file and a line and column that are either absent (0) or inside the text, and
// formats; a file without problems is returned.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "scenarios/scenario.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;

const std::string& scenario_path() {
  static const std::string path = [] {
    const char* tmp = std::getenv("TMPDIR");
    return std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/mailcanary-fuzz-" +
           std::to_string(getpid()) + ".json";
  }();
  static const bool cleanup = std::atexit([] { std::remove(path.c_str()); }) == 0;
  (void)cleanup;
  return path;
}

void check_problem(const mc::scn::Problem& p, std::size_t lines, const std::string& path) {
  check(p.file == path, "a problem names another file", p.file);
  check(!p.message.empty(), "a problem without a message", p.where);
  check(p.line >= 0 && p.column >= 0 && static_cast<std::size_t>(p.line) <= lines,
        "a problem placed outside the file", p.format());
  check(p.line == 0 || p.column >= 1, "a problem with a line but no column", p.format());
  check(!p.format().empty(), "a problem that formats to nothing");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = scenario_path();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);

  std::size_t lines = 1;
  for (std::size_t i = 0; i < size; ++i) lines += data[i] == '\n';

  mc::scn::LoadOptions options;
  options.resolve_secrets = false;
  const mc::scn::Loaded loaded = mc::scn::load_files({path}, options);
  for (const auto& p : loaded.problems) check_problem(p, lines, path);
  for (const auto& p : loaded.warnings) check_problem(p, lines, path);
  check(!loaded.problems.empty() || loaded.files.size() == 1,
        "a file without problems is not returned");
  return 0;
}
