#include "probe/runner.hpp"

#include <unistd.h>

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
#include "probe/token.hpp"
#include "protocols/mail_date.hpp"
#include "scenarios/steps.hpp"
#include "transport/driver.hpp"

namespace mc {

std::string local_host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

namespace {

namespace asio = boost::asio;

// At most this many probes of earlier runs are looked for per scenario and run, so that a long
// outage cannot make one run spend its time cleaning up.
constexpr std::size_t kMaxSweepsPerRun = 10;

// A Received: header's date has whole seconds, so the delivery time it gives has whole seconds
// too: the queue time is taken at the same precision. Nothing is clamped: a negative value
// means the clocks of the mailstore and the probe disagree.
// One mailbox as the server sees it: the same URL, user and mailbox name.
std::string mailbox_key(const scn::File& file, const scn::Step& wait) {
  const auto server = file.servers.find(wait.server);
  const auto account = file.accounts.find(wait.account);
  return (server == file.servers.end() ? wait.server : server->second.url) + "\n" +
         (account == file.accounts.end() ? wait.account : account->second.user) + "\n" +
         wait.mailbox;
}

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

  Stopwatch clock;
  std::optional<Mono::time_point> queued;
  std::vector<std::uint32_t> found_uids;
  std::uint32_t uidvalidity = 0;
  bool deleted = false;  // imap.delete finished with what imap.wait found, expunged
  // The scenario's own session to its mailbox failed on the server's side (connection, TLS,
  // login, a refusal, a timeout): the sweep must not try that server again in this run.
  bool store_failed = false;
  // This run's imap.delete had to leave its probe flagged: sweeping earlier flagged probes now
  // would only log in to find the same obstacle.
  bool expunge_blocked = false;
  Mono::time_point scenario_deadline{};
  // Every pending probe in the state directory, of any scenario: all of them are mailcanary's,
  // so a \Deleted message carrying one of their tokens is never taken for the user's.
  std::vector<std::string> pending_tokens{};
  // Where each pending probe was looked for: its scenario's imap.wait mailbox. A probe that
  // went with this scenario's EXPUNGE is done with only if that is this very mailbox; a copy
  // elsewhere (another recipient's box) is still its own scenario's to find.
  const std::map<std::string, std::string>* mailbox_of_token = nullptr;
  std::set<std::string>* expunged_in_run = nullptr;  // shared by the run's scenarios

  asio::awaitable<void> run() {
    clock = Stopwatch();
    result.name = scenario.name;
    result.token = new_probe_token();
    result.started_at = clock.wall_origin();
    scenario_deadline = std::min(clock.origin() + scenario.timeout, run_deadline);

    for (const auto& step : scenario.steps) {
      StepResult sr;
      sr.step = step.kind;
      sr.start_s = clock.offset_s(Mono::now());
      if (result.failure) {
        sr.status = "skipped";
        result.steps.push_back(std::move(sr));
        continue;
      }
      Mono::time_point deadline = scenario_deadline;
      if (step.timeout) deadline = std::min(deadline, Mono::now() + *step.timeout);
      const auto begin = Mono::now();
      std::optional<Failure> failure;
      if (step.kind == "smtp.send")
        failure = co_await send(step, deadline, sr);
      else if (step.kind == "imap.wait")
        failure = co_await wait(step, deadline, sr);
      else if (step.kind == "imap.delete")
        failure = co_await remove(step, deadline, sr);
      sr.duration_s = Stopwatch::seconds(Mono::now() - begin);
      if (failure) {
        sr.status = "failed";
        if (step.kind != "smtp.send" && failure->reason != Reason::not_delivered)
          store_failed = true;
        result.failure = ScenarioFailure{step.kind, std::move(*failure)};
        result.status = Status::critical;
      } else {
        apply_thresholds(step, sr);
      }
      result.steps.push_back(std::move(sr));
    }
    result.duration_s = Stopwatch::seconds(Mono::now() - clock.origin());
    settle_pending();
    co_await sweep_earlier();
  }

  // The run's deadline passed while this scenario waited for a free slot: it reports that, and
  // it never connects anywhere. Blaming the first server's banner would accuse a healthy one.
  void never_started(std::size_t max_concurrency) {
    result.name = scenario.name;
    result.started_at = Wall::now();
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

  const scn::Step* wait_step() const {
    for (const auto& s : scenario.steps)
      if (s.kind == "imap.wait") return &s;
    return nullptr;
  }
  bool has_step(const char* kind) const {
    for (const auto& s : scenario.steps)
      if (s.kind == kind) return true;
    return false;
  }

  // A message the server accepted is remembered the moment it was accepted, so that whatever
  // ends this run early (a kill, an abandoned round, an internal error) a later run still finds
  // it (late or lost) and deletes it.
  bool tracks_probe() const { return !options.state_dir.empty() && wait_step() != nullptr; }
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
    const bool seen = !found_uids.empty();
    if (seen && (deleted || keeps_probes()))
      PendingStore(options.state_dir).remove(result.token);
    else if (seen)
      remember_probe(true);
  }

  // Records the probes of any scenario that went with an EXPUNGE in this scenario's mailbox:
  // their records are dropped, and no sweep of this run looks for them again.
  void expunged_with_ours(const std::vector<std::string>& tokens, const scn::Step& session) {
    if (mailbox_of_token == nullptr) return;
    const std::string mine = mailbox_key(file, session);
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

  // No imap.delete, and the file says probes stay: later runs find them, never delete them.
  bool keeps_probes() const { return !has_step("imap.delete") && wait_step()->keep; }

  // Looks for this scenario's probes of earlier runs, deletes those it finds and reports them as
  // late; gives up on those older than the lost-after horizon. Failures here only leave the
  // probe pending: they never change this run's status.
  asio::awaitable<void> sweep_earlier() {
    const scn::Step* wait = wait_step();
    if (wait == nullptr || earlier.empty()) co_return;
    const PendingStore store(options.state_dir);
    const auto& server = file.servers.at(wait->server);
    // One budget for all of them, inside the scenario's own timeout, and none at all when this
    // scenario's own session to the server just failed (a wrong password must not be tried
    // twice, an outage must not double the run), nor after the first sweep that fails.
    const auto budget_end =
        std::min(scenario_deadline, Mono::now() + wait->timeout.value_or(std::chrono::seconds(30)));
    std::size_t sweeps = 0;
    bool server_failed = store_failed;
    for (const auto& p : earlier) {
      if (expunged_already(p.token)) continue;  // its record is gone with it
      if (server_failed || Mono::now() >= budget_end || (expunge_blocked && p.seen) ||
          ++sweeps > kMaxSweepsPerRun) {
        ++result.pending;
        continue;
      }
      auto config = scn::imap_config(file, *wait, p.token);
      config.mode = proto::imap::Mode::remove;  // no UIDs: only hits whose header proves it
      config.own_tokens = pending_tokens;
      config.find_only = keeps_probes();
      proto::imap::Client client(std::move(config));
      auto out = co_await run_session(session_options(server, budget_end), client);
      server_failed = out.failure.has_value();
      const auto& oc = client.outcome();
      const bool found = !oc.headers.empty();
      EarlierProbe e{p.token, p.queued_at, std::nullopt, std::nullopt, std::nullopt};
      if (found) {
        if (auto seen = phase_end(out, "search")) e.seen_at = clock.wall_at(*seen);
        if (auto t = proto::topmost_received_date(oc.headers)) {
          e.delivered_at = Wall::from_time_t(static_cast<std::time_t>(*t));
          e.delivery_s = whole_seconds_between(p.queued_at, *e.delivered_at);
        }
        if (!p.seen) result.late.push_back(e);
      }
      if (!out.failure) expunged_with_ours(oc.also_expunged, *wait);
      // Only an expunged probe is done with: one left flagged \Deleted (no UIDPLUS, a user's
      // mail flagged too) stays pending until a later run can expunge it safely.
      if (found && !out.failure && (!oc.deleted_uids.empty() || keeps_probes())) {
        store.remove(p.token);
      } else if (found) {
        PendingProbe still = p;
        still.seen = true;  // reported as late once; only deleting it is left
        (void)store.save(still);
        ++result.pending;
      } else if (!out.failure && Wall::now() - p.queued_at > options.lost_after) {
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
      sr.status = "warning";
      sr.threshold = "warn";
      result.status = worst(result.status, Status::warning);
    }
  }

  SessionOptions session_options(const scn::Server& server, Mono::time_point deadline) {
    SessionOptions o;
    o.host = server.host;
    o.port = server.port;
    o.implicit_tls = server.implicit_tls;
    o.tls = {server.tls.verify, server.tls.ca_file, server.tls.server_name, server.tls.min_version};
    o.deadline = deadline;
    if (options.verbose) {
      o.live = [name = scenario.name](const TranscriptLine& l) {
        static std::mutex m;
        const char* who = l.dir == TranscriptLine::Dir::client   ? "C: "
                          : l.dir == TranscriptLine::Dir::server ? "S: "
                                                                 : "-- ";
        std::lock_guard lock(m);
        std::cerr << "[" << name << "] " << who << l.text << "\n";
      };
    }
    return o;
  }

  // Copies what every step reports the same way: phases, address, TLS, transcript on failure.
  void record(const scn::Server& server, const SessionOutcome& o, const proto::Machine& m,
              bool plaintext_auth, StepResult& sr) {
    sr.server = server.url;
    if (plaintext_auth) sr.plaintext_auth = true;
    sr.address = o.address;
    sr.tls = o.tls;
    for (const auto& p : o.phases)
      sr.phases.push_back({p.name, clock.offset_s(p.start), Stopwatch::seconds(p.end - p.start)});
    if (o.failure) sr.transcript = m.transcript().lines();
  }

  static std::optional<Mono::time_point> phase_end(const SessionOutcome& o, const std::string& n) {
    for (auto it = o.phases.rbegin(); it != o.phases.rend(); ++it)
      if (it->name == n) return it->end;
    return std::nullopt;
  }

  asio::awaitable<std::optional<Failure>> send(const scn::Step& step, Mono::time_point deadline,
                                               StepResult& sr) {
    const auto& server = file.servers.at(step.server);
    const std::string message =
        scn::build_probe_message(step, scenario.name, result.token, Wall::now());
    proto::smtp::Client client(scn::smtp_config(file, step, message, local_host_name()));
    auto out = co_await run_session(session_options(server, deadline), client);
    record(server, out, client, client.outcome().plaintext_auth, sr);
    if (const auto& id = client.outcome().queue_id)
      sr.add_detail("queue_id", *id, "queue id " + *id, /*summary=*/true);
    if (!out.failure) {
      queued = phase_end(out, "message");
      if (queued) result.queued_at = clock.wall_at(*queued);
      if (queued && tracks_probe()) remember_probe(false);
    }
    co_return out.failure;
  }

  asio::awaitable<std::optional<Failure>> wait(const scn::Step& step, Mono::time_point deadline,
                                               StepResult& sr) {
    const auto& server = file.servers.at(step.server);
    proto::imap::Client client(scn::imap_config(file, step, result.token));
    auto out = co_await run_session(session_options(server, deadline), client);
    const auto& oc = client.outcome();
    record(server, out, client, oc.plaintext_auth, sr);
    if (!oc.found_uids.empty()) {
      std::string text = "uids";
      for (auto u : oc.found_uids) text += " " + std::to_string(u);
      sr.add_detail("uids", oc.found_uids, text);
    }
    sr.add_detail("searches", oc.searches, std::to_string(oc.searches) + " searches");
    if (!oc.found_uids.empty()) {
      found_uids = oc.found_uids;
      uidvalidity = oc.uidvalidity;
      if (auto seen = phase_end(out, "search")) {
        result.seen_at = clock.wall_at(*seen);
        if (queued) result.delivery_s = Stopwatch::seconds(*seen - *queued);
      }
    }
    // Polling that runs into the deadline means the mail did not arrive in time; that is a
    // delivery failure, not a server that stopped answering.
    if (out.failure && out.failure->reason == Reason::timeout && out.failure->phase == "search" &&
        oc.searches > 0 && oc.found_uids.empty()) {
      out.failure->reason = Reason::not_delivered;
      out.failure->message = "no message with this run's token in " + step.mailbox + " after " +
                             std::to_string(oc.searches) + " searches";
    }
    co_return out.failure;
  }

  asio::awaitable<std::optional<Failure>> remove(const scn::Step& step, Mono::time_point deadline,
                                                 StepResult& sr) {
    const auto& server = file.servers.at(step.server);
    auto config = scn::imap_config(file, step, result.token);
    config.uids = found_uids;
    config.uidvalidity = uidvalidity;
    config.own_tokens = pending_tokens;
    proto::imap::Client client(std::move(config));
    auto out = co_await run_session(session_options(server, deadline), client);
    const auto& oc = client.outcome();
    record(server, out, client, oc.plaintext_auth, sr);
    if (!oc.deleted_uids.empty()) {
      std::string text = "uids";
      for (auto u : oc.deleted_uids) text += " " + std::to_string(u);
      sr.add_detail("uids", oc.deleted_uids, text);
    }
    // Only an expunge finishes with a probe: a search that found nothing (an index that lags)
    // leaves it pending, to be looked for again.
    deleted = !out.failure && !oc.deleted_uids.empty();
    expunge_blocked = oc.expunge_skipped;
    if (!out.failure) expunged_with_ours(oc.also_expunged, step);
    if (oc.expunge_skipped) {
      // The probe stays flagged \Deleted in the mailbox: not a silent OK. It stays pending, so
      // a later run expunges it once no one else's mail is flagged.
      sr.add_detail("expunge_skipped", true,
                    "expunge skipped: other messages in the mailbox are flagged \\Deleted");
      sr.note = "expunge_skipped (the probe stays flagged \\Deleted; others' mail is too)";
      sr.status = "warning";
      result.status = worst(result.status, Status::warning);
      warnings.push_back("scenario " + scenario.name +
                         ": imap.delete flagged the probe \\Deleted "
                         "but did not expunge it: other messages in " +
                         step.mailbox +
                         " are flagged \\Deleted and the server has no UIDPLUS; a later run "
                         "expunges it");
    }
    co_return out.failure;
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
  Stopwatch clock;
  run.started_at = clock.wall_origin();
  run.vantage = options.vantage;
  for (const auto& f : files)
    if (run.vantage.empty() && !f.vantage.empty()) run.vantage = f.vantage;
  if (run.vantage.empty()) run.vantage = local_host_name();

  // Far enough to be "none" yet safe from overflow when added to.
  const Mono::time_point run_deadline = options.deadline
                                            ? clock.origin() + *options.deadline
                                            : clock.origin() + std::chrono::hours(24 * 365);

  std::vector<std::pair<const scn::File*, const scn::Scenario*>> selected;
  for (const auto& f : files)
    for (const auto& sc : f.scenarios)
      if (options.scenarios.empty() || std::find(options.scenarios.begin(), options.scenarios.end(),
                                                 sc.name) != options.scenarios.end())
        selected.emplace_back(&f, &sc);

  run.warnings = options.file_warnings;
  std::vector<PendingProbe> pending;
  if (!options.state_dir.empty()) pending = PendingStore(options.state_dir).load(run.warnings);

  // Each pending probe's mailbox, from its scenario's imap.wait in the files; a probe whose
  // scenario is gone from the files has none, and no other scenario drops its record.
  std::map<std::string, std::string> mailbox_of_scenario;
  for (const auto& f : files)
    for (const auto& sc : f.scenarios)
      for (const auto& st : sc.steps)
        if (st.kind == "imap.wait" && !mailbox_of_scenario.count(sc.name))
          mailbox_of_scenario[sc.name] = mailbox_key(f, st);
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
    runs.push_back(std::make_unique<ScenarioRun>(ScenarioRun{*file,
                                                             *scenario,
                                                             options,
                                                             run_deadline,
                                                             run.scenarios[i],
                                                             std::move(mine),
                                                             run.warnings,
                                                             {},
                                                             {},
                                                             {},
                                                             0}));
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
    asio::steady_timer pause(io);
    while (next < runs.size()) {
      const std::size_t i = next++;
      const auto start_at =
          std::min<Mono::time_point>(clock.origin() + spacing * static_cast<int>(i), run_deadline);
      if (Mono::now() < start_at) {
        pause.expires_at(start_at);
        co_await pause.async_wait(asio::use_awaitable);
      }
      ScenarioResult& sc = run.scenarios[i];
      if (Mono::now() >= run_deadline) {
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
  run.duration_s = Stopwatch::seconds(Mono::now() - clock.origin());
  return run;
}

}  // namespace mc
