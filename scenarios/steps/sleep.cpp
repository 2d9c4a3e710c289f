// sleep: waits `duration`, e.g. between a send and a check, as a user would.
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/registry.hpp"

namespace mc::scn {
namespace {

struct SleepKeys : StepKeys {
  std::chrono::milliseconds duration{0};
};

class Sleep final : public StepKind {
 public:
  std::string_view name() const override { return "sleep"; }

  const std::vector<KeySpec>& keys() const override {
    static const std::vector<KeySpec> k = {
        kStepKey, {"duration", KeyType::duration, "", "is how long to wait"}, kTimeoutKey, kWarnKey,
        kCritKey,
    };
    return k;
  }

  void load(StepInput& in, Step& s) const override {
    auto keys = std::make_shared<SleepKeys>();
    if (auto d = in.duration("duration")) {
      keys->duration = *d;
      const auto bound = in.scenario_timeout();
      if (s.timeout && *d >= *s.timeout)
        in.problem(in.where() + ".duration",
                   "sleep " + format_duration(*d) + " is not shorter than the step timeout " +
                       format_duration(*s.timeout) +
                       ", so the step could only time out; shorten the sleep or drop the timeout");
      else if (bound && *d >= *bound)
        in.problem(in.where() + ".duration",
                   "sleep " + format_duration(*d) + " is not shorter than the scenario timeout " +
                       format_duration(*bound) + in.scenario_timeout_note() +
                       ", so the scenario could only time out; shorten the sleep or lengthen "
                       "the scenario timeout");
    } else if (!in.has("duration")) {
      in.problem(in.where(), "sleep needs a \"duration\", like \"5s\"");
    }
    s.keys = std::move(keys);
  }

  boost::asio::awaitable<std::optional<Failure>> run(StepContext& ctx,
                                                     StepResult& out) const override {
    const auto& keys = ctx.current().as<SleepKeys>();
    const auto begin = ctx.clock.now();
    const auto wanted = begin + keys.duration;
    const auto until = std::min(wanted, ctx.deadline);
    co_await ctx.clock.sleep_until(until);
    const auto end = ctx.clock.now();
    out.phases.push_back({"sleep", ctx.timeline.offset_s(begin), Stopwatch::seconds(end - begin)});
    if (until < wanted)
      co_return Failure{
          Reason::timeout, "sleep",
          "the deadline came before the sleep of " + format_duration(keys.duration) + " was over",
          std::nullopt};
    co_return std::nullopt;
  }
};

}  // namespace

const StepKind& sleep_kind() {
  static const Sleep kind;
  return kind;
}

}  // namespace mc::scn
