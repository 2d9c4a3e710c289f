#include "probe/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>
#include <mutex>

#include "probe/driver.hpp"
#include "probe/token.hpp"
#include "scenarios/steps.hpp"

namespace mc {

std::string local_host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

namespace {

namespace asio = boost::asio;
using proto::Failure;
using proto::Reason;

struct ScenarioRun {
  const scn::File& file;
  const scn::Scenario& scenario;
  const RunOptions& options;
  Mono::time_point run_deadline;
  ScenarioResult& result;

  Stopwatch clock;
  std::optional<Mono::time_point> queued;
  std::vector<std::uint32_t> found_uids;
  std::uint32_t uidvalidity = 0;

  asio::awaitable<void> run() {
    clock = Stopwatch();
    result.name = scenario.name;
    result.token = new_probe_token();
    result.started_at = clock.wall_origin();
    const Mono::time_point scenario_deadline =
        std::min(clock.origin() + scenario.timeout, run_deadline);

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
        result.failure = ScenarioFailure{step.kind, std::move(*failure)};
        result.status = Status::critical;
      } else {
        apply_thresholds(step, sr);
      }
      result.steps.push_back(std::move(sr));
    }
    result.duration_s = Stopwatch::seconds(Mono::now() - clock.origin());
  }

  void apply_thresholds(const scn::Step& step, StepResult& sr) {
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
      o.live = [name = scenario.name](const proto::TranscriptLine& l) {
        static std::mutex m;
        const char* who = l.dir == proto::TranscriptLine::Dir::client   ? "C: "
                          : l.dir == proto::TranscriptLine::Dir::server ? "S: "
                                                                        : "-- ";
        std::lock_guard lock(m);
        std::cerr << "[" << name << "] " << who << l.text << "\n";
      };
    }
    return o;
  }

  // Copies what every step reports the same way: phases, address, TLS, transcript on failure.
  void record(const scn::Server& server, const SessionOutcome& o, const proto::Machine& m,
              StepResult& sr) {
    sr.server = server.url;
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
    record(server, out, client, sr);
    sr.queue_id = client.outcome().queue_id;
    if (!out.failure) {
      queued = phase_end(out, "message");
      if (queued) result.queued_at = clock.wall_at(*queued);
    }
    co_return out.failure;
  }

  asio::awaitable<std::optional<Failure>> wait(const scn::Step& step, Mono::time_point deadline,
                                               StepResult& sr) {
    const auto& server = file.servers.at(step.server);
    proto::imap::Client client(scn::imap_config(file, step, result.token));
    auto out = co_await run_session(session_options(server, deadline), client);
    record(server, out, client, sr);
    const auto& oc = client.outcome();
    sr.searches = oc.searches;
    sr.uids = oc.found_uids;
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
    proto::imap::Client client(std::move(config));
    auto out = co_await run_session(session_options(server, deadline), client);
    record(server, out, client, sr);
    sr.uids = client.outcome().deleted_uids;
    if (client.outcome().expunge_skipped) sr.expunge_skipped = true;
    co_return out.failure;
  }
};

}  // namespace

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

  run.scenarios.resize(selected.size());
  asio::io_context io;
  std::vector<std::unique_ptr<ScenarioRun>> runs;
  for (std::size_t i = 0; i < selected.size(); ++i) {
    runs.push_back(std::make_unique<ScenarioRun>(ScenarioRun{*selected[i].first,
                                                             *selected[i].second,
                                                             options,
                                                             run_deadline,
                                                             run.scenarios[i],
                                                             {},
                                                             {},
                                                             {},
                                                             0}));
    // A scenario that throws is an internal error of mailcanary, reported as UNKNOWN, never lost.
    asio::co_spawn(io, runs.back()->run(), [&sc = run.scenarios[i]](std::exception_ptr e) {
      if (!e) return;
      sc.status = Status::unknown;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        sc.failure = ScenarioFailure{"", Failure{Reason::internal, "", ex.what(), std::nullopt}};
      }
    });
  }
  io.run();

  for (const auto& sc : run.scenarios) run.status = worst(run.status, sc.status);
  run.duration_s = Stopwatch::seconds(Mono::now() - clock.origin());
  return run;
}

}  // namespace mc
