#include "scenarios/steps/imap_wait.hpp"

// GCC 12 takes Asio's coroutine frame allocator (its own operator new and delete) for a
// mismatched pair once it inlines the frames of the coroutines here: a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "protocols/imap.hpp"
#include "protocols/imap/list.hpp"
#include "protocols/mail_date.hpp"
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/credentials.hpp"
#include "scenarios/steps/early_task.hpp"
#include "scenarios/steps/hop_report.hpp"
#include "scenarios/steps/imap_sessions.hpp"
#include "scenarios/steps/registry.hpp"
#include "scenarios/steps/servers.hpp"

namespace mc::scn {
namespace {

std::string uid_text(const std::vector<std::uint32_t>& uids) {
  std::string s = "uids";
  for (auto u : uids) s += " " + std::to_string(u);
  return s;
}

class ImapWait final : public StepKind {
 public:
  std::string_view name() const override { return "imap.wait"; }

  const std::vector<KeySpec>& keys() const override {
    static const std::vector<KeySpec> k = {
        kStepKey,
        kServerKey,
        kAccountKey,
        {"mailbox", KeyType::string, "INBOX", "names the mailbox to look in"},
        {"idle", KeyType::boolean, "true",
         "says whether to wait with IDLE where the server offers it (false: poll)"},
        {"poll_interval", KeyType::duration, "250ms",
         "is the time between searches without IDLE (each after a NOOP)"},
        {"junk", KeyType::string, "fail",
         "says what a probe found in the Junk mailbox means: \"fail\", \"warn\" or "
         "\"ignore\""},
        {"junk_mailbox", KeyType::string, "found by LIST",
         "names the account's Junk mailbox, where the server does not flag it \\Junk"},
        {"keep", KeyType::boolean, "false", "says the probe stays in the mailbox"},
        {"authserv_id", KeyType::string, "the server's host name",
         "names the host whose Authentication-Results are trusted"},
        {"hops", KeyType::strings, "their numbers",
         "names the hops the probe passes, oldest first, for the metrics"},
        kExpectKey,
        kSpamKey,
        kSessionKey,
        kTimeoutKey,
        kWarnKey,
        kCritKey,
    };
    return k;
  }

  void load(StepInput& in, Step& s) const override {
    auto keys = std::make_shared<WaitKeys>();
    if (auto v = in.string("mailbox")) keys->mailbox = *v;
    if (auto d = in.duration("poll_interval")) keys->poll_interval = *d;
    if (auto v = in.boolean("idle")) keys->idle = *v;
    if (auto k = in.boolean("keep")) keys->keep = *k;
    if (auto v = in.string("junk")) {
      if (*v == "fail" || *v == "warn" || *v == "ignore")
        keys->junk = *v;
      else
        in.problem(in.where() + ".junk", "\"" + printable(*v) +
                                             "\" is not what a probe in Junk means: give \"fail\" "
                                             "(reason junk), \"warn\" or \"ignore\"");
    }
    if (auto v = in.string("junk_mailbox")) {
      if (v->empty() || v->find_first_of("\r\n") != std::string::npos ||
          proto::imap::detail::same_mailbox(*v, keys->mailbox))
        in.problem(in.where() + ".junk_mailbox",
                   "\"" + printable(*v) +
                       "\" cannot be the Junk mailbox: give its name as the server lists it, "
                       "like \"Junk\" or \"INBOX.Spam\", other than the mailbox watched (" +
                       printable(keys->mailbox) + ")");
      else
        keys->junk_mailbox = *v;
    }
    if (auto v = in.string("authserv_id")) {
      if (v->find_first_of(" \t\r\n;") != std::string::npos)
        in.problem(in.where() + ".authserv_id",
                   "\"" + printable(*v) +
                       "\" is not an authserv-id: give the host name its Authentication-Results "
                       "fields start with, like \"mx.example.net\" (\"\" for fields that name "
                       "none, as Microsoft 365 writes them)");
      else
        keys->authserv_id = *v;
    }
    keys->hops = load_hop_names(in);
    load_wait_expect(in, keys->expect);
    check_mailbox_login(in, s);
    s.keys = std::move(keys);
  }

  // The recipient's mail client is open before the probe is sent: logged in, the mailbox
  // selected, IDLE (or the polls) under way, so that neither the login nor a poll interval counts
  // as delivery time, and an EXISTS that comes while smtp.send still waits for its QUIT's answer
  // starts the search at once.
  bool starts_early(const Step&) const override { return true; }

  boost::asio::awaitable<std::optional<Failure>> start_early(StepContext& ctx,
                                                             StepResult& out) const override {
    std::optional<Failure> failure;
    auto* session = co_await ctx.sessions->acquire(ctx, out, failure);
    if (session == nullptr) {
      out.add_detail("searches", 0, "0 searches");
      co_return failure;
    }
    session->mark = session->link->transcript().total();
    ctx.early[ctx.index] =
        co_await EarlyTask::start(*session, make_wait(ctx, *session, true), ctx.deadline);
    co_return std::nullopt;
  }

  boost::asio::awaitable<std::optional<Failure>> run(StepContext& ctx,
                                                     StepResult& out) const override {
    const Step& step = ctx.current();
    const auto& keys = step.as<WaitKeys>();
    std::optional<Failure> failure;
    std::shared_ptr<EarlyTask> early;
    if (auto it = ctx.early.find(ctx.index); it != ctx.early.end()) {
      early = std::dynamic_pointer_cast<EarlyTask>(it->second);
      ctx.early.erase(it);
    }
    std::unique_ptr<proto::Machine> own;
    proto::Machine* machine = nullptr;
    SessionOutcome o;
    if (early) {
      o = co_await early->outcome();
      MailboxSessions::finish(ctx, early->session(), o, out);
      machine = &early->task();
    } else {
      auto* session = co_await ctx.sessions->acquire(ctx, out, failure);
      if (session == nullptr) {
        out.add_detail("searches", 0, "0 searches");
        co_return failure;
      }
      own = make_wait(ctx, *session, false);
      o = co_await ctx.sessions->run(ctx, *session, *own, out);
      machine = own.get();
    }
    failure = o.failure;
    const auto& oc = static_cast<const proto::imap::Wait&>(*machine).outcome();
    out.add_detail("searches", oc.searches, std::to_string(oc.searches) + " searches");
    std::optional<Failure> unexpected;  // a verdict the file does not expect
    if (!oc.junk.empty())
      out.add_detail("junk_mailbox", oc.junk,
                     "Junk mailbox " + oc.junk + " (by " + oc.junk_how + ", watched with " +
                         (oc.junk_notify ? "NOTIFY" : "STATUS") + ")");
    if (!oc.found_uids.empty()) {
      out.add_detail("uids", oc.found_uids, uid_text(oc.found_uids));
      ctx.shared.found_uids = oc.found_uids;
      ctx.shared.uidvalidity = oc.uidvalidity;
      ctx.shared.found_in = mailbox_key(ctx.file, step, oc.found_in);
      ctx.shared.moved_from = oc.in_junk ? mailbox_key(ctx.file, step, keys.mailbox) : "";
      ctx.shared.found_mailbox = oc.in_junk ? oc.found_in : "";
      report_detection(ctx, o, oc, out);
      if (oc.bounce) report_bounce(*oc.bounce, out);
      // Only a delivered probe has a header of its own to read.
      if (!oc.headers.empty()) {
        const std::string id = keys.authserv_id.value_or(ctx.file.servers.at(step.server).host);
        unexpected = check_probe_header(oc.headers, id, keys.expect, ctx.result, out);
        report_hops(ctx, oc.headers, keys.hops, out);
        ctx.shared.probe_headers = oc.headers;
      }
    }
    // Polling that runs into the deadline means the mail did not arrive in time; that is a
    // delivery failure, not a server that stopped answering.
    if (failure && failure->reason == Reason::timeout &&
        (failure->phase == "search" || failure->phase == "idle") && oc.searches > 0 &&
        oc.found_uids.empty()) {
      failure->reason = Reason::not_delivered;
      failure->message = std::string(keys.expect.bounce ? "no bounce of this run's probe"
                                                        : "no message with this run's token") +
                         " in " + keys.mailbox + " after " + std::to_string(oc.searches) +
                         " searches";
    }
    const bool delivered = !oc.headers.empty();
    ctx.result.placement = !delivered   ? Placement::missing
                           : oc.in_junk ? Placement::junk
                                        : Placement::inbox;
    if (delivered) ctx.result.placement_mailbox = oc.found_in;
    if (delivered && oc.in_junk && !failure && !unexpected) unexpected = junk_verdict(ctx, out);
    // The server failed us, unless the probe was found and only what it says failed the step.
    if (failure && failure->reason != Reason::not_delivered && oc.found_uids.empty())
      ctx.shared.store_failed = true;
    // The probe was found and everything about it recorded; the server stays fit for the sweep
    // of earlier probes and for imap.delete.
    if (!failure) failure = std::move(unexpected);
    co_return failure;
  }

  // `before_send`: the probe is sent after this session's SELECT, so only later messages count.
  static std::unique_ptr<proto::Machine> make_wait(const StepContext& ctx,
                                                   MailboxSessions::Session& session,
                                                   bool before_send) {
    const auto& keys = ctx.current().as<WaitKeys>();
    proto::imap::WaitConfig wc{keys.mailbox, ctx.token, keys.poll_interval};
    wc.idle = keys.idle;
    wc.expect_bounce = keys.expect.bounce;
    wc.watch_junk = true;
    wc.junk_mailbox = keys.junk_mailbox;
    wc.sent_after_select = before_send;
    return std::make_unique<proto::imap::Wait>(*session.link, wc);
  }

  std::optional<ProbeMailbox> probe_mailbox(const File& f, const Step& s) const override {
    const auto& keys = s.as<WaitKeys>();
    return ProbeMailbox{mailbox_key(f, s, keys.mailbox), keys.keep};
  }
  std::string_view remover() const override { return "imap.delete"; }

  // An earlier run's probe, in a session of its own: only messages whose header proves the
  // token qualify (no UIDs are known), and other pending probes' \Deleted copies are ours.
  boost::asio::awaitable<SweepFound> sweep(StepContext& ctx,
                                           const std::string& token) const override {
    const Step& step = ctx.current();
    const auto& keys = step.as<WaitKeys>();
    const Server& server = ctx.file.servers.at(step.server);
    const Account& account = ctx.file.accounts.at(step.account);
    proto::imap::Config c;
    c.implicit_tls = server.implicit_tls;
    c.starttls = server.starttls;
    c.allow_plaintext_auth = server.allow_plaintext_auth;
    const proto::sasl::Credentials creds = sasl_credentials(ctx, account, server);
    c.user = creds.user;
    c.secret = creds.secret;
    c.mechanism = creds.mechanism;
    c.secret_is_token = creds.token;
    c.mailbox = keys.mailbox;
    c.mode = proto::imap::Mode::remove;
    c.token = token;
    c.own_tokens = ctx.own_tokens;
    const bool find_only = keeps(ctx.scenario, step);
    c.find_only = find_only;
    proto::imap::Client client(std::move(c));
    auto connection = ctx.transport.connect(ctx.session_options(server, ctx.deadline));
    auto o = co_await connection->run(client, ctx.deadline);
    connection->close();
    const auto& oc = client.outcome();
    SweepFound r;
    r.failure = std::move(o.failure);
    r.found = !oc.headers.empty();
    r.removed = r.found && !r.failure && (!oc.deleted_uids.empty() || find_only);
    if (r.found) {
      r.seen = StepContext::phase_end(o, "search");
      if (auto t = proto::topmost_received_date(oc.headers))
        r.delivered = Wall::from_time_t(static_cast<std::time_t>(*t));
    }
    if (!r.failure) r.also_expunged = oc.also_expunged;
    co_return r;
  }

 private:
  // When the probe was seen: the EXISTS that woke an IDLE (the end of that "idle" phase) is when
  // the server told of it; otherwise the answer of the search that found it.
  static void report_detection(StepContext& ctx, const SessionOutcome& o,
                               const proto::imap::WaitOutcome& oc, StepResult& out) {
    std::optional<Mono::time_point> seen;
    if (oc.at_idle_end) seen = StepContext::phase_end(o, "idle");
    if (!seen) seen = StepContext::phase_end(o, "search");
    std::string how = oc.detected_by == "idle"   ? "by IDLE (an EXISTS woke the search)"
                      : oc.detected_by == "poll" ? "by polling"
                                                 : "by the first search (it was there already)";
    out.add_detail("detected_by", oc.detected_by, "detected " + how);
    if (!seen) return;
    ctx.result.seen_at = ctx.timeline.wall_at(*seen);
    // The server may tell of the delivery a moment before the 250 after DATA reaches us.
    if (ctx.shared.queued)
      ctx.result.delivery_s = std::max(0.0, Stopwatch::seconds(*seen - *ctx.shared.queued));
  }

  // A delivered probe in Junk, as the file's "junk" says: a failure, a warning, or nothing.
  static std::optional<Failure> junk_verdict(StepContext& ctx, StepResult& out) {
    const auto& keys = ctx.current().as<WaitKeys>();
    const std::string where = ctx.result.placement_mailbox;
    if (keys.junk == "fail")
      return Failure{Reason::junk, "search",
                     "the probe landed in the Junk mailbox " + where + ", not in " + keys.mailbox,
                     std::nullopt};
    if (keys.junk == "warn") {
      if (out.status == "ok") out.status = "warning";
      ctx.result.status = worst(ctx.result.status, Status::warning);
      const std::string note = "in Junk (" + where + ")";
      out.note = out.note ? *out.note + "; " + note : note;
    }
    return std::nullopt;
  }

  // The delivery report that says the probe bounced: what it says, as the failure's reply does.
  static void report_bounce(const proto::mime::Dsn& dsn, StepResult& out) {
    const proto::mime::DsnRecipient* r = dsn.primary();
    nlohmann::json j = {{"reporting_mta", dsn.reporting_mta}};
    std::string text = "bounced";
    if (r != nullptr) {
      j["recipient"] = r->final_recipient;
      j["status"] = r->status;
      j["diagnostic"] = r->diagnostic;
      if (!r->remote_mta.empty()) j["remote_mta"] = r->remote_mta;
      if (!r->final_recipient.empty()) text += " for " + r->final_recipient;
      if (!r->status.empty()) text += ": " + r->status;
      if (!r->diagnostic.empty()) text += " " + r->diagnostic;
    }
    if (!dsn.reporting_mta.empty()) text += " (reported by " + dsn.reporting_mta + ")";
    out.add_detail("bounce", std::move(j), std::move(text));
  }

  // No imap.delete, and the file says probes stay: later runs find them, never delete them.
  bool keeps(const Scenario& sc, const Step& wait) const {
    for (const auto& s : sc.steps)
      if (s.kind == remover()) return false;
    return wait.as<WaitKeys>().keep;
  }
};

}  // namespace

std::string mailbox_key(const File& file, const Step& step, const std::string& mailbox) {
  const auto server = file.servers.find(step.server);
  const auto account = file.accounts.find(step.account);
  return (server == file.servers.end() ? step.server : server->second.url) + "\n" +
         (account == file.accounts.end() ? step.account : account->second.user) + "\n" + mailbox;
}

const StepKind& imap_wait_kind() {
  static const ImapWait kind;
  return kind;
}

}  // namespace mc::scn
