#include "scenarios/steps/imap_delete.hpp"

#include "protocols/imap.hpp"
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/imap_sessions.hpp"
#include "scenarios/steps/imap_wait.hpp"
#include "scenarios/steps/registry.hpp"

namespace mc::scn {
namespace {

class ImapDelete final : public StepKind {
 public:
  std::string_view name() const override { return "imap.delete"; }

  const std::vector<KeySpec>& keys() const override {
    static const std::vector<KeySpec> k = {
        kStepKey,
        kServerKey,
        kAccountKey,
        {"mailbox", KeyType::string, "the imap.wait's", "names the mailbox to delete from"},
        kSessionKey,
        kTimeoutKey,
        kWarnKey,
        kCritKey,
    };
    return k;
  }

  // It works on what the preceding imap.wait found, on the same mailbox. What it inherits was
  // checked on the imap.wait; a problem there is not repeated here.
  void load(StepInput& in, Step& s) const override {
    auto keys = std::make_shared<DeleteKeys>();
    const Step* wait = nullptr;
    for (const auto& e : in.earlier())
      if (e.kind == "imap.wait") wait = &e;
    bool inherited_server = false;
    bool inherited_account = false;
    if (wait != nullptr) {
      inherited_server = s.server.empty();
      inherited_account = s.account.empty();
      if (inherited_server) s.server = wait->server;
      if (inherited_account) s.account = wait->account;
      keys->mailbox = wait->as<WaitKeys>().mailbox;
    } else {
      in.problem(in.where(),
                 "imap.delete deletes what an earlier imap.wait found; add an imap.wait step "
                 "before it");
    }
    if (auto v = in.string("mailbox")) keys->mailbox = *v;
    if (s.server.empty())
      in.problem(in.where(), "imap.delete needs a \"server\"");
    else if (!inherited_server)
      in.check_server(s, {"imap", "imaps"});
    if (s.account.empty())
      in.problem(in.where(), "imap.delete needs an \"account\"");
    else if (!inherited_account)
      in.check_account(s);
    if (!(inherited_server && inherited_account)) in.check_plaintext_auth(s);
    s.keys = std::move(keys);
  }

  // The probe was found and its server still answers: delete it whatever failed since.
  bool runs_after_failure(const StepContext& ctx) const override {
    return !ctx.shared.found_uids.empty() && !ctx.shared.store_failed && !ctx.shared.deleted;
  }

  boost::asio::awaitable<std::optional<Failure>> run(StepContext& ctx,
                                                     StepResult& out) const override {
    const Step& step = ctx.current();
    const auto& keys = step.as<DeleteKeys>();
    std::optional<Failure> failure;
    auto* session = co_await ctx.sessions->acquire(ctx, out, failure);
    if (session == nullptr) co_return failure;
    proto::imap::DeleteConfig c;
    c.mailbox = keys.mailbox;
    // imap.wait found the probe in Junk rather than the mailbox it watched (this one): it is
    // deleted where it is.
    if (!ctx.shared.moved_from.empty() &&
        ctx.shared.moved_from == mailbox_key(ctx.file, step, keys.mailbox))
      c.mailbox = ctx.shared.found_mailbox;
    c.token = ctx.token;
    // The UIDs found are only good in the mailbox they were found in: anywhere else, only a
    // message whose header this session fetches and finds the token in qualifies.
    if (ctx.shared.found_in == mailbox_key(ctx.file, step, c.mailbox)) {
      c.uids = ctx.shared.found_uids;
      c.uidvalidity = ctx.shared.uidvalidity;
    }
    c.own_tokens = ctx.own_tokens;
    const std::string mailbox = c.mailbox;
    proto::imap::Delete task(*session->link, std::move(c));
    const auto o = co_await ctx.sessions->run(ctx, *session, task, out);
    const auto& oc = task.outcome();
    if (!oc.deleted_uids.empty()) {
      std::string text = "uids";
      for (auto u : oc.deleted_uids) text += " " + std::to_string(u);
      out.add_detail("uids", oc.deleted_uids, text);
    }
    // Only an expunge finishes with a probe: a search that found nothing (an index that lags)
    // leaves it pending, to be looked for again.
    ctx.shared.deleted = !o.failure && !oc.deleted_uids.empty();
    ctx.shared.expunge_blocked = oc.expunge_skipped;
    if (!o.failure && ctx.expunged_with_ours)
      ctx.expunged_with_ours(oc.also_expunged, mailbox_key(ctx.file, step, mailbox));
    if (oc.expunge_skipped) {
      // The probe stays flagged \Deleted in the mailbox: not a silent OK. It stays pending, so a
      // later run expunges it once no one else's mail is flagged.
      out.add_detail("expunge_skipped", true,
                     "expunge skipped: other messages in the mailbox are flagged \\Deleted");
      out.note = "expunge_skipped (the probe stays flagged \\Deleted; others' mail is too)";
      out.status = "warning";
      ctx.result.status = worst(ctx.result.status, Status::warning);
      ctx.warnings.push_back("scenario " + ctx.scenario.name +
                             ": imap.delete flagged the probe \\Deleted but did not expunge it: "
                             "other messages in " +
                             mailbox +
                             " are flagged \\Deleted and the server has no UIDPLUS; a later run "
                             "expunges it");
    }
    if (o.failure) ctx.shared.store_failed = true;
    co_return o.failure;
  }
};

}  // namespace

const StepKind& imap_delete_kind() {
  static const ImapDelete kind;
  return kind;
}

}  // namespace mc::scn
