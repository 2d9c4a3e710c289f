// pop3.wait: a POP3 session is a snapshot of the maildrop (a server lists no mail that came
// after the login), so each round is a session of its own: login, UIDL, TOP of the messages not
// read in earlier rounds until one carries the probe's token, QUIT; poll_interval between them.

// GCC 12 takes Asio's coroutine frame allocator (its own operator new and delete) for a
// mismatched pair once it inlines the frames of the coroutines here: a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <set>

#include "protocols/mail_date.hpp"
#include "scenarios/steps/hop_report.hpp"
#include "scenarios/steps/pop3.hpp"
#include "scenarios/steps/registry.hpp"
#include "scenarios/steps/step.hpp"

namespace mc::scn {
namespace {

class Pop3Wait final : public StepKind {
 public:
  std::string_view name() const override { return "pop3.wait"; }

  const std::vector<KeySpec>& keys() const override {
    static const std::vector<KeySpec> k = {
        kStepKey,
        kServerKey,
        kAccountKey,
        {"poll_interval", KeyType::duration, "1s",
         "is the time between POP3 sessions that look for the probe"},
        {"keep", KeyType::boolean, "false", "says the probe stays in the maildrop"},
        kTimeoutKey,
        kWarnKey,
        kCritKey,
    };
    return k;
  }

  void load(StepInput& in, Step& s) const override {
    auto keys = std::make_shared<Pop3WaitKeys>();
    if (auto d = in.duration("poll_interval")) keys->poll_interval = *d;
    if (auto k = in.boolean("keep")) keys->keep = *k;
    if (s.server.empty())
      in.problem(in.where(), "pop3.wait needs a \"server\"");
    else
      in.check_server(s, {"pop3", "pop3s"});
    if (s.account.empty())
      in.problem(in.where(), "pop3.wait needs an \"account\"");
    else
      in.check_account(s);
    in.check_plaintext_auth(s);
    s.keys = std::move(keys);
  }

  boost::asio::awaitable<std::optional<Failure>> run(StepContext& ctx,
                                                     StepResult& out) const override {
    const Step& step = ctx.current();
    const auto& keys = step.as<Pop3WaitKeys>();
    std::set<std::string> looked_at;  // unique-ids read in earlier rounds: not the probe
    int rounds = 0;
    int tops = 0;
    std::optional<Failure> failure;
    proto::pop3::Outcome found;
    std::optional<Mono::time_point> seen;
    for (;;) {
      proto::pop3::Config c = pop3_config(ctx, step);
      c.mode = proto::pop3::Mode::find;
      c.skip_uids = looked_at;
      proto::pop3::Client client(std::move(c));
      const auto o = co_await run_pop3(ctx, step, client, out);
      const auto& oc = client.outcome();
      ++rounds;
      tops += oc.tops;
      looked_at.insert(oc.looked_at.begin(), oc.looked_at.end());
      if (!oc.found_uid.empty()) {
        found = oc;
        seen = StepContext::phase_end(o, "fetch");
      }
      // The probe was found and proved: what went wrong after it (a QUIT) does not undo that.
      if (!oc.found_uid.empty()) break;
      if (o.failure) {
        failure = o.failure;
        break;
      }
      const auto next = ctx.clock.now() + keys.poll_interval;
      if (next >= ctx.deadline) {
        co_await ctx.clock.sleep_until(ctx.deadline);
        failure = Failure{Reason::timeout, "search", "", std::nullopt};
        break;
      }
      co_await ctx.clock.sleep_until(next);
    }
    out.add_detail("rounds", rounds,
                   std::to_string(rounds) + (rounds == 1 ? " POP3 session" : " POP3 sessions"));
    out.add_detail("tops", tops,
                   std::to_string(tops) + (tops == 1 ? " header read" : " headers read"));
    // Running out of time while looking means the mail did not arrive in time, once at least
    // one look at the maildrop was complete; a server that never answered is a timeout.
    if (failure && failure->reason == Reason::timeout && found.found_uid.empty() &&
        (rounds > 1 || failure->message.empty())) {
      failure->reason = Reason::not_delivered;
      failure->phase = "search";
      failure->message = "no message with this run's token in the maildrop after " +
                         std::to_string(rounds) + " POP3 sessions";
    }
    ctx.result.placement = found.found_uid.empty() ? Placement::missing : Placement::inbox;
    if (found.found_uid.empty()) {
      if (failure && failure->reason != Reason::not_delivered) ctx.shared.store_failed = true;
      co_return failure;
    }
    ctx.result.placement_mailbox = "INBOX";
    out.add_detail("uidl", found.found_uid, "unique-id " + found.found_uid);
    out.add_detail("detected_by", rounds == 1 ? "search" : "poll",
                   rounds == 1 ? "detected by the first session (it was there already)"
                               : "detected by polling");
    if (auto t = proto::topmost_received_date(found.headers)) {
      const std::string at = iso8601(Wall::from_time_t(static_cast<std::time_t>(*t)));
      out.add_detail("received_at", at, "stored at " + at + " (its topmost Received: field)");
    }
    ctx.shared.pop3_uid = found.found_uid;
    ctx.shared.found_in = pop3_mailbox_key(ctx.file, step);
    if (seen) {
      ctx.result.seen_at = ctx.timeline.wall_at(*seen);
      if (ctx.shared.queued)
        ctx.result.delivery_s = std::max(0.0, Stopwatch::seconds(*seen - *ctx.shared.queued));
    }
    report_hops(ctx, found.headers, {}, out);
    co_return std::nullopt;
  }

  std::optional<ProbeMailbox> probe_mailbox(const File& f, const Step& s) const override {
    return ProbeMailbox{pop3_mailbox_key(f, s), s.as<Pop3WaitKeys>().keep};
  }
  std::string_view remover() const override { return "pop3.delete"; }

  // An earlier run's probe, in a session of its own: only a message whose header this session
  // proves to carry the token is deleted.
  boost::asio::awaitable<SweepFound> sweep(StepContext& ctx,
                                           const std::string& token) const override {
    const Step& step = ctx.current();
    bool find_only = step.as<Pop3WaitKeys>().keep;
    for (const auto& s : ctx.scenario.steps)
      if (s.kind == remover()) find_only = false;
    proto::pop3::Config c = pop3_config(ctx, step);
    c.token = token;
    c.mode = find_only ? proto::pop3::Mode::find : proto::pop3::Mode::remove;
    proto::pop3::Client client(std::move(c));
    const Server& server = ctx.file.servers.at(step.server);
    auto connection = ctx.transport.connect(ctx.session_options(server, ctx.deadline));
    auto o = co_await connection->run(client, ctx.deadline);
    connection->close();
    const auto& oc = client.outcome();
    SweepFound r;
    r.failure = std::move(o.failure);
    r.found = !oc.found_uid.empty();
    r.removed = r.found && !r.failure && (oc.deleted || find_only);
    if (r.found) {
      r.seen = StepContext::phase_end(o, "fetch");
      if (auto t = proto::topmost_received_date(oc.headers))
        r.delivered = Wall::from_time_t(static_cast<std::time_t>(*t));
    }
    co_return r;
  }
};

}  // namespace

const StepKind& pop3_wait_kind() {
  static const Pop3Wait kind;
  return kind;
}

}  // namespace mc::scn
