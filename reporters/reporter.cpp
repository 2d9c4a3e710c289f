#include "reporters/reporter.hpp"

#include <exception>

namespace mc {

std::vector<std::string> run_reporters(const std::vector<std::unique_ptr<Reporter>>& reporters,
                                       const RunResult& run, const ReportContext& ctx) {
  std::vector<std::string> errors;
  for (const auto& r : reporters) {
    std::optional<std::string> err;
    try {
      err = r->write(run, ctx);
    } catch (const std::exception& e) {
      err = std::string("internal error: ") + e.what();
    }
    if (err) errors.push_back(r->name() + ": " + *err);
  }
  return errors;
}

}  // namespace mc
