#include "probe/runner.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include "probe/state.hpp"
#include "probe/tls_expiry.hpp"
#include "probe/token.hpp"
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/imap_sessions.hpp"
#include "scenarios/steps/oauth2_token.hpp"
#include "scenarios/steps/servers.hpp"
#include "scenarios/steps/step.hpp"
#include "transport/clock.hpp"
#include "transport/connection.hpp"

namespace mc {

namespace {

namespace asio = boost::asio;

// At most this many probes of earlier runs are looked for per scenario and run, so that a long
// outage cannot make one run spend its time cleaning up.
constexpr std::size_t kMaxSweepsPerRun = 10;

// A Received: header's date has whole seconds, so the delivery time it gives has whole seconds
// too: the queue time is taken at the same precision. Nothing is clamped: a negative value
// means the clocks of the mailstore and the probe disagree.
double whole_seconds_between(Wall::time_point queued, Wall::time_point delivered) {
  using std::chrono::floor;
  using std::chrono::seconds;
  return static_cast<double>((floor<seconds>(delivered) - floor<seconds>(queued)).count());
}

struct ScenarioRun {
  const scn::File& file;
  const scn::Scenario& scenario;
  const RunOptions& options;
  Mono::time_point run_deadline;
  ScenarioResult& result;
  std::vector<PendingProbe> earlier;  // this scenario's probes from earlier runs
  std::vector<std::string>& warnings;
  Clock& clock;
  Transport& transport;
  // Every pending probe in the state directory, of any scenario: all of them are mailcanary's,
  // so a \Deleted message carrying one of their tokens is never taken for the user's.
  std::vector<std::string> pending_tokens{};
  // Where each pending probe was looked for: its scenario's finder mailbox. A probe that went
  // with this scenario's EXPUNGE is done with only if that is this very mailbox; a copy
  // elsewhere (another recipient's box) is still its own scenario's to find.
  const std::map<std::string, std::string>* mailbox_of_token = nullptr;
  std::set<std::string>* expunged_in_run = nullptr;  // shared by the run's scenarios

  const scn::Step* finder = nullptr;  // the step that waits for the probe, if any
  std::optional<scn::ProbeMailbox> mailbox{};
  std::unique_ptr<scn::StepContext> ctx{};

  void prepare() {
    for (const auto& s : scenario.steps) {
      if (auto m = s.type->probe_mailbox(file, s)) {
        finder = &s;
        mailbox = m;
        break;
      }
    }
    if (mailbox && mailbox->keep)
      for (const auto& s : scenario.steps)
        if (s.kind == finder->type->remover()) mailbox->keep = false;
  }

  asio::awaitable<void> run() {
    prepare();
    ctx = std::make_unique<scn::StepContext>(scn::StepContext{file,
                                                              scenario,
                                                              nullptr,
                                                              0,
                                                              new_probe_token(),
                                                              {},
                                                              {},
                                                              clock,
                                                              transport,
                                                              {},
                                                              {},
                                                              result,
                                                              warnings});
    scn::StepContext& c = *ctx;
    c.timeline = {clock.now(), clock.wall_now()};
    c.scenario_deadline = std::min(c.timeline.mono0 + scenario.timeout, run_deadline);
    c.own_tokens = pending_tokens;
    c.state_dir = options.state_dir;
    scn::MailboxSessions sessions;
    c.sessions = &sessions;
    if (options.verbose) {
      c.live = [name = scenario.name](const TranscriptLine& l) {
        static std::mutex m;
        std::lock_guard lock(m);
        std::cerr << "[" << name << "] " << mark(l.dir) << l.text << "\n";
      };
    }
    c.probe_accepted = [this] {
      if (tracks_probe()) remember_probe(false);
    };
    c.expunged_with_ours = [this](const std::vector<std::string>& tokens, const std::string& key) {
      expunged_with_ours(tokens, key);
    };
    result.name = scenario.name;
    result.token = c.token;
    result.started_at = c.timeline.wall0;

    // Without its access token a mailbox cannot be logged into: nothing is sent, the step that
    // would have logged in fails and the others are skipped.
    c.deadline = c.scenario_deadline;
    const std::optional<scn::TokenFailure> no_token = co_await scn::obtain_oauth2_tokens(c);
    if (no_token) {
      result.failure = ScenarioFailure{scenario.steps[no_token->step].kind, no_token->failure};
      result.status = Status::critical;
    }
    for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
      const scn::Step& step = scenario.steps[i];
      if (no_token && i == no_token->step) {
        StepResult sr = take_started(i).sr;
        sr.status = "failed";
        result.steps.push_back(std::move(sr));
        continue;
      }
      if (!result.failure && step.type->sends_probe()) co_await start_early(i);
      Started st = take_started(i);
      StepResult& sr = st.sr;
      c.step = &step;
      c.index = i;
      if (st.failure) {  // it failed before the probe was sent: nothing was
        sr.status = "failed";
        (void)co_await sessions.release(c, sr, true);
        result.steps.push_back(std::move(sr));
        continue;
      }
      if (result.failure && !step.type->runs_after_failure(c)) {
        if (auto it = c.early.find(i); it != c.early.end()) {
          // Started early, waiting for a probe that was never sent: its connection is closed.
          co_await it->second->abandon();
          c.early.erase(it);
          c.deadline = c.scenario_deadline;
          (void)co_await sessions.release(c, sr, true);
        }
        sr.status = "skipped";
        result.steps.push_back(std::move(sr));
        continue;
      }
      c.deadline = st.deadline;
      const auto begin = st.begin;
      std::optional<Failure> failure = co_await step.type->run(c, sr);
      auto goodbye = co_await sessions.release(c, sr, failure || result.failure);
      if (!failure && goodbye) failure = std::move(goodbye);
      sr.duration_s = Stopwatch::seconds(clock.now() - begin);
      if (failure && result.failure) {
        // A clean-up after the scenario failed: the first failure stays the scenario's.
        sr.status = "failed";
        sr.note = std::string(to_string(failure->reason)) + ": " + failure->message;
        warnings.push_back("scenario " + scenario.name + ": " + step.kind +
                           " after the failure of " + result.failure->step + " failed too (" +
                           *sr.note + "); a later run deletes the probe");
      } else if (failure) {
        sr.status = "failed";
        result.failure = ScenarioFailure{step.kind, std::move(*failure)};
        result.status = Status::critical;
      } else {
        apply_thresholds(step, sr);
      }
      result.status = worst(result.status, judge_tls_expiry(sr, clock.wall_now()));
      result.steps.push_back(std::move(sr));
    }
    for (auto& [_, e] : c.early) co_await e->abandon();  // none is left; never one running
    c.early.clear();
    result.duration_s = c.timeline.offset_s(clock.now());
    settle_pending();
    co_await sweep_earlier();
  }

  // A step as it starts: now, or earlier (started before the step that sends the probe).
  struct Started {
    StepResult sr;
    Mono::time_point begin{};
    Mono::time_point deadline{};  // its timeout counts from its start
    std::optional<Failure> failure;
  };
  std::map<std::size_t, Started> started_{};

  Started take_started(std::size_t i) {
    if (auto it = started_.find(i); it != started_.end()) {
      Started st = std::move(it->second);
      started_.erase(it);
      return st;
    }
    return begin_step(i);
  }

  Started begin_step(std::size_t i) {
    const scn::Step& step = scenario.steps[i];
    Started st;
    st.sr.step = step.kind;
    st.begin = clock.now();
    st.sr.start_s = ctx->timeline.offset_s(st.begin);
    st.deadline = ctx->scenario_deadline;
    if (step.timeout) st.deadline = std::min(st.deadline, st.begin + *step.timeout);
    return st;
  }

  // Before step i sends the probe: the first later step that can wait already starts waiting.
  // If it cannot (its login fails), the scenario fails there, and nothing is sent.
  asio::awaitable<void> start_early(std::size_t i) {
    scn::StepContext& c = *ctx;
    for (std::size_t j = i + 1; j < scenario.steps.size(); ++j) {
      const scn::Step& step = scenario.steps[j];
      if (!step.type->starts_early(step)) continue;
      if (started_.count(j) || c.early.count(j)) co_return;
      Started st = begin_step(j);
      c.step = &step;
      c.index = j;
      c.deadline = st.deadline;
      st.failure = co_await step.type->start_early(c, st.sr);
      if (st.failure) {
        st.sr.duration_s = Stopwatch::seconds(clock.now() - st.begin);
        result.failure = ScenarioFailure{step.kind, *st.failure};
        result.status = Status::critical;
      }
      started_.emplace(j, std::move(st));
      co_return;
    }
  }

  // The run's deadline passed while this scenario waited for a free slot: it reports that, and
  // it never connects anywhere. Blaming the first server's banner would accuse a healthy one.
  void never_started(std::size_t max_concurrency) {
    result.name = scenario.name;
    result.started_at = clock.wall_now();
    result.status = Status::critical;
    result.failure = ScenarioFailure{
        "", Failure{Reason::timeout, "queued",
                    "never started: the run's deadline passed while the scenario waited for one "
                    "of the " +
                        std::to_string(max_concurrency) +
                        " slots (--max-concurrency); nothing was sent",
                    std::nullopt}};
    for (const auto& step : scenario.steps) {
      StepResult sr;
      sr.step = step.kind;
      sr.status = "skipped";
      result.steps.push_back(std::move(sr));
    }
    result.pending = static_cast<int>(earlier.size());
  }

  // A message the server accepted is remembered the moment it was accepted, so that whatever
  // ends this run early (a kill, an abandoned round, an internal error) a later run still finds
  // it (late or lost) and deletes it.
  bool tracks_probe() const { return !options.state_dir.empty() && finder != nullptr; }
  void remember_probe(bool seen) {
    PendingProbe p{result.token, file.path, scenario.name, *result.queued_at, seen};
    if (auto err = PendingStore(options.state_dir).save(p))
      warnings.push_back("cannot remember the probe of scenario " + scenario.name + ": " + *err);
  }

  // At the end of the run: forgotten when deleted, or when the file says the probe is meant to
  // stay ("keep"); marked seen when found but left behind (not deleted, or flagged without an
  // expunge), so that a later run deletes it; kept as it is when never found.
  void settle_pending() {
    if (!tracks_probe() || !result.queued_at) return;
    const bool seen = !ctx->shared.found_uids.empty() || !ctx->shared.pop3_uid.empty();
    if (seen && (ctx->shared.deleted || mailbox->keep))
      PendingStore(options.state_dir).remove(result.token);
    else if (seen)
      remember_probe(true);
  }

  // Records the probes of any scenario that went with an EXPUNGE in this scenario's mailbox:
  // their records are dropped, and no sweep of this run looks for them again.
  void expunged_with_ours(const std::vector<std::string>& tokens, const std::string& mine) {
    if (mailbox_of_token == nullptr) return;
    for (const auto& token : tokens) {
      auto it = mailbox_of_token->find(token);
      if (it == mailbox_of_token->end() || it->second != mine) continue;
      PendingStore(options.state_dir).remove(token);
      if (expunged_in_run != nullptr) expunged_in_run->insert(token);
    }
  }

  bool expunged_already(const std::string& token) const {
    return expunged_in_run != nullptr && expunged_in_run->count(token) > 0;
  }

  // Looks for this scenario's probes of earlier runs, deletes those it finds and reports them as
  // late; gives up on those older than the lost-after horizon. Failures here only leave the
  // probe pending: they never change this run's status.
  asio::awaitable<void> sweep_earlier() {
    if (finder == nullptr || earlier.empty()) co_return;
    scn::StepContext& c = *ctx;
    const PendingStore store(options.state_dir);
    // One budget for all of them, inside the scenario's own timeout, and none at all when this
    // scenario's own session to the server just failed (a wrong password must not be tried
    // twice, an outage must not double the run), nor after the first sweep that fails.
    const auto budget_end = std::min(
        c.scenario_deadline, clock.now() + finder->timeout.value_or(std::chrono::seconds(30)));
    c.step = finder;
    c.deadline = budget_end;
    std::size_t sweeps = 0;
    bool server_failed = c.shared.store_failed;
    for (const auto& p : earlier) {
      if (expunged_already(p.token)) continue;  // its record is gone with it
      if (server_failed || clock.now() >= budget_end || (c.shared.expunge_blocked && p.seen) ||
          ++sweeps > kMaxSweepsPerRun) {
        ++result.pending;
        continue;
      }
      const scn::SweepFound out = co_await finder->type->sweep(c, p.token);
      server_failed = out.failure.has_value();
      EarlierProbe e{p.token, p.queued_at, std::nullopt, std::nullopt, std::nullopt};
      if (out.found) {
        if (out.seen) e.seen_at = c.timeline.wall_at(*out.seen);
        if (out.delivered) {
          e.delivered_at = out.delivered;
          e.delivery_s = whole_seconds_between(p.queued_at, *e.delivered_at);
        }
        if (!p.seen) result.late.push_back(e);
      }
      if (!out.failure) expunged_with_ours(out.also_expunged, mailbox->key);
      // Only an expunged probe is done with: one left flagged \Deleted (no UIDPLUS, a user's
      // mail flagged too) stays pending until a later run can expunge it safely.
      if (out.removed) {
        store.remove(p.token);
      } else if (out.found) {
        PendingProbe still = p;
        still.seen = true;  // reported as late once; only deleting it is left
        (void)store.save(still);
        ++result.pending;
      } else if (!out.failure && clock.wall_now() - p.queued_at > options.lost_after) {
        if (!p.seen) result.lost.push_back(e);
        store.remove(p.token);
      } else {
        ++result.pending;
      }
    }
  }

  void apply_thresholds(const scn::Step& step, StepResult& sr) {
    if (step.warn) sr.warn_s = std::chrono::duration<double>(*step.warn).count();
    if (step.crit) sr.crit_s = std::chrono::duration<double>(*step.crit).count();
    const auto took = std::chrono::duration<double>(sr.duration_s);
    if (step.crit && took > *step.crit) {
      sr.status = "critical";
      sr.threshold = "crit";
      result.status = worst(result.status, Status::critical);
    } else if (step.warn && took > *step.warn) {
      // A step that made itself critical (a spam score over its crit) stays so.
      if (sr.status == "ok") sr.status = "warning";
      sr.threshold = "warn";
      result.status = worst(result.status, Status::warning);
    }
  }
};

}  // namespace

std::chrono::milliseconds start_spacing(std::size_t scenarios) {
  if (scenarios < 2) return std::chrono::milliseconds(0);
  return std::min<std::chrono::milliseconds>(std::chrono::milliseconds(50),
                                             std::chrono::milliseconds(2000) / (scenarios - 1));
}

RunResult run_scenarios(const std::vector<scn::File>& files, const RunOptions& options) {
  RunResult run;
  run.version = MAILCANARY_VERSION;
  Clock& clock = options.clock != nullptr ? *options.clock : system_clock();
  Transport& transport = options.transport != nullptr ? *options.transport : socket_transport();
  const Mono::time_point origin = clock.now();
  run.started_at = clock.wall_now();
  run.vantage = options.vantage;
  for (const auto& f : files)
    if (run.vantage.empty() && !f.vantage.empty()) run.vantage = f.vantage;
  if (run.vantage.empty()) run.vantage = local_host_name();

  // Far enough to be "none" yet safe from overflow when added to.
  const Mono::time_point run_deadline =
      options.deadline ? origin + *options.deadline : origin + std::chrono::hours(24 * 365);

  std::vector<std::pair<const scn::File*, const scn::Scenario*>> selected;
  for (const auto& f : files)
    for (const auto& sc : f.scenarios)
      if (options.scenarios.empty() || std::find(options.scenarios.begin(), options.scenarios.end(),
                                                 sc.name) != options.scenarios.end())
        selected.emplace_back(&f, &sc);

  run.warnings = options.file_warnings;
  std::vector<PendingProbe> pending;
  if (!options.state_dir.empty()) pending = PendingStore(options.state_dir).load(run.warnings);

  // Each pending probe's mailbox, from the step of its scenario that waits for the probe; a
  // probe whose scenario is gone from the files has none, and no other scenario drops its record.
  std::map<std::string, std::string> mailbox_of_scenario;
  for (const auto& f : files)
    for (const auto& sc : f.scenarios)
      for (const auto& st : sc.steps)
        if (auto m = st.type->probe_mailbox(f, st); m && !mailbox_of_scenario.count(sc.name))
          mailbox_of_scenario[sc.name] = m->key;
  std::map<std::string, std::string> mailbox_of_token;
  for (const auto& p : pending)
    if (auto it = mailbox_of_scenario.find(p.scenario); it != mailbox_of_scenario.end())
      mailbox_of_token[p.token] = it->second;
  std::set<std::string> expunged_in_run;

  run.scenarios.resize(selected.size());
  std::vector<std::unique_ptr<ScenarioRun>> runs;
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const auto& [file, scenario] = selected[i];
    std::vector<PendingProbe> mine;
    for (const auto& p : pending)
      if (p.scenario == scenario->name) mine.push_back(p);  // names are unique in a run
    runs.push_back(std::make_unique<ScenarioRun>(
        ScenarioRun{*file, *scenario, options, run_deadline, run.scenarios[i], std::move(mine),
                    run.warnings, clock, transport}));
    for (const auto& p : pending) runs.back()->pending_tokens.push_back(p.token);
    runs.back()->mailbox_of_token = &mailbox_of_token;
    runs.back()->expunged_in_run = &expunged_in_run;
    run.scenarios[i].name = scenario->name;
  }

  asio::io_context io;
  // Workers take the next scenario as one finishes, so at most max_concurrency are in flight;
  // scenario i does not start before origin + i * spacing.
  const auto spacing = start_spacing(runs.size());
  std::size_t next = 0;
  std::size_t active = 0;
  auto worker = [&]() -> asio::awaitable<void> {
    while (next < runs.size()) {
      const std::size_t i = next++;
      const auto start_at =
          std::min<Mono::time_point>(origin + spacing * static_cast<int>(i), run_deadline);
      co_await clock.sleep_until(start_at);
      ScenarioResult& sc = run.scenarios[i];
      if (clock.now() >= run_deadline) {
        runs[i]->never_started(options.max_concurrency);
        continue;
      }
      try {
        co_await runs[i]->run();
      } catch (const std::exception& ex) {
        // A scenario that throws is an internal error of mailcanary, reported as UNKNOWN.
        sc.status = Status::unknown;
        sc.failure = ScenarioFailure{"", Failure{Reason::internal, "", ex.what(), std::nullopt}};
      }
    }
    --active;
  };
  const std::size_t workers = std::clamp<std::size_t>(options.max_concurrency, 1, runs.size());
  for (std::size_t w = 0; w < workers && !runs.empty(); ++w) {
    ++active;
    asio::co_spawn(io, worker(), asio::detached);
  }
  if (options.abandon) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          asio::steady_timer tick(io);
          while (active > 0) {
            if (options.abandon->load()) {
              io.stop();
              co_return;
            }
            tick.expires_after(std::chrono::milliseconds(100));
            co_await tick.async_wait(asio::use_awaitable);
          }
        },
        asio::detached);
  }
  io.run();

  for (const auto& sc : run.scenarios) run.status = worst(run.status, sc.status);
  run.duration_s = Stopwatch::seconds(clock.now() - origin);
  return run;
}

}  // namespace mc
