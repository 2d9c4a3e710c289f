#include "scenarios/steps/imap_sessions.hpp"

#include <algorithm>

#include "scenarios/steps/credentials.hpp"
#include "scenarios/steps/servers.hpp"
#include "scenarios/steps/step.hpp"

namespace mc::scn {
namespace {

// How long a LOGOUT may take when the scenario's own deadline is further away.
constexpr std::chrono::seconds kLogoutBudget{5};

}  // namespace

bool MailboxSessions::Session::usable() const {
  if (background) return false;
  // In step with the server: a session whose last task was refused still serves the steps that
  // run after a failure (imap.delete) and its LOGOUT; the tasks themselves say what they accept.
  return connection && connection->is_open() && link && link->can_log_out();
}

std::string MailboxSessions::key_of(const File& file, const Step& step) {
  if (step.new_session || step.server.empty() || step.account.empty()) return "";
  auto it = file.servers.find(step.server);
  if (it == file.servers.end() || (it->second.scheme != "imap" && it->second.scheme != "imaps"))
    return "";
  return step.server + "\n" + step.account;
}

boost::asio::awaitable<MailboxSessions::Session*> MailboxSessions::acquire(
    StepContext& ctx, StepResult& out, std::optional<Failure>& failure) {
  const Step& step = ctx.current();
  const Server& server = ctx.file.servers.at(step.server);
  const std::string key = key_of(ctx.file, step);
  if (!key.empty()) {
    for (auto& s : sessions_) {
      if (s->key != key || !s->usable()) continue;
      s->mark = s->link->transcript().total();
      out.server = server.url;
      co_return s.get();
    }
  }
  // Sessions that broke are dropped here: nothing uses them again.
  std::erase_if(sessions_, [](const auto& s) { return !s->usable() && !s->background; });
  const Account& account = ctx.file.accounts.at(step.account);
  proto::imap::LinkConfig lc;
  lc.implicit_tls = server.implicit_tls;
  lc.starttls = server.starttls;
  const proto::sasl::Credentials creds = sasl_credentials(ctx, account, server);
  lc.user = creds.user;
  lc.secret = creds.secret;
  lc.mechanism = creds.mechanism;
  lc.secret_is_token = creds.token;
  lc.allow_plaintext_auth = server.allow_plaintext_auth;
  auto s = std::make_unique<Session>();
  s->key = key;
  s->link = std::make_unique<proto::imap::Link>(std::move(lc));
  s->connection = ctx.transport.connect(ctx.session_options(server, ctx.deadline));
  proto::imap::Login login(*s->link);
  ++logins_;
  auto o = co_await s->connection->run(login, ctx.deadline);
  ctx.record(server, o, out);
  if (s->link->plaintext_auth()) out.plaintext_auth = true;
  if (const std::string& m = s->link->auth_mechanism(); !m.empty())
    out.add_detail("auth_mechanism", m, "login by " + m);
  if (o.failure) {
    out.transcript = lines_since(s->link->transcript(), 0);
    s->connection->close();
    // Whatever the kind: the sweep must not log in to that server again in this run.
    ctx.shared.store_failed = true;
    failure = std::move(o.failure);
    co_return nullptr;
  }
  sessions_.push_back(std::move(s));
  co_return sessions_.back().get();
}

boost::asio::awaitable<SessionOutcome> MailboxSessions::run(StepContext& ctx, Session& s,
                                                            proto::Machine& task, StepResult& out) {
  auto o = co_await s.connection->run(task, ctx.deadline);
  finish(ctx, s, o, out);
  co_return o;
}

void MailboxSessions::finish(StepContext& ctx, Session& s, const SessionOutcome& o,
                             StepResult& out) {
  ctx.record(ctx.file.servers.at(ctx.current().server), o, out);
  if (s.link->plaintext_auth()) out.plaintext_auth = true;
  if (o.failure) {
    out.transcript = lines_since(s.link->transcript(), s.mark);
    // Refused but in step with the server: still logged out by release(). Anything else broke.
    if (!s.link->can_log_out()) s.connection->close();
  }
}

boost::asio::awaitable<std::optional<Failure>> MailboxSessions::release(StepContext& ctx,
                                                                        StepResult& out,
                                                                        bool failed) {
  std::optional<Failure> failure;
  const auto& steps = ctx.scenario.steps;
  for (auto& s : sessions_) {
    if (s->background) continue;
    if (!s->connection->is_open() || !s->link->can_log_out()) {
      s->connection->close();
      continue;
    }
    bool later = false;
    for (std::size_t k = ctx.index + 1; !later && !s->key.empty() && k < steps.size(); ++k)
      later = key_of(ctx.file, steps[k]) == s->key &&
              (!failed || steps[k].type->runs_after_failure(ctx));
    if (later) continue;
    // Within the step's own deadline, as its part of the work: a LOGOUT that hangs fails the
    // step that ends the session, as it always did.
    const auto until = std::min(ctx.deadline, ctx.clock.now() + kLogoutBudget);
    if (ctx.clock.now() < until) {
      const std::size_t mark = s->link->transcript().total();
      proto::imap::Logout logout(*s->link);
      auto o = co_await s->connection->run(logout, until);
      for (const auto& p : o.phases)
        out.phases.push_back(
            {p.name, ctx.timeline.offset_s(p.start), Stopwatch::seconds(p.end - p.start)});
      if (o.failure && !failure) {
        out.transcript = lines_since(s->link->transcript(), mark);
        failure = std::move(o.failure);
      }
    }
    s->connection->close();
  }
  std::erase_if(sessions_, [](const auto& s) { return !s->usable() && !s->background; });
  co_return failure;
}

}  // namespace mc::scn
