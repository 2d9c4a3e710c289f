// pop3.delete: in one session, UIDL, the unique-id pop3.wait found, TOP of it to prove the token
// again, DELE of exactly that message number, QUIT. POP3 deletes at QUIT only: a session that
// ends before QUIT's +OK deleted nothing, and the result says so.

// GCC 12 takes Asio's coroutine frame allocator (its own operator new and delete) for a
// mismatched pair once it inlines the frames of the coroutines here: a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "scenarios/steps/pop3.hpp"
#include "scenarios/steps/registry.hpp"
#include "scenarios/steps/step.hpp"

namespace mc::scn {
namespace {

class Pop3Delete final : public StepKind {
 public:
  std::string_view name() const override { return "pop3.delete"; }

  const std::vector<KeySpec>& keys() const override {
    static const std::vector<KeySpec> k = {
        kStepKey, kServerKey, kAccountKey, kTimeoutKey, kWarnKey, kCritKey,
    };
    return k;
  }

  // It works on what the preceding pop3.wait found, in the same maildrop: the server and account
  // are the pop3.wait's unless given, and what it inherits was checked there.
  void load(StepInput& in, Step& s) const override {
    const Step* wait = nullptr;
    for (const auto& e : in.earlier())
      if (e.kind == "pop3.wait") wait = &e;
    bool inherited_server = false;
    bool inherited_account = false;
    if (wait != nullptr) {
      inherited_server = s.server.empty();
      inherited_account = s.account.empty();
      if (inherited_server) s.server = wait->server;
      if (inherited_account) s.account = wait->account;
    } else {
      in.problem(in.where(),
                 "pop3.delete deletes what an earlier pop3.wait found; add a pop3.wait step "
                 "before it");
    }
    // An empty server or account inherited from the pop3.wait is that step's problem, said there.
    if (s.server.empty() && !inherited_server)
      in.problem(in.where(), "pop3.delete needs a \"server\"");
    else if (!inherited_server)
      in.check_server(s, {"pop3", "pop3s"});
    if (s.account.empty() && !inherited_account)
      in.problem(in.where(), "pop3.delete needs an \"account\"");
    else if (!inherited_account)
      in.check_account(s);
    if (!(inherited_server && inherited_account)) in.check_plaintext_auth(s);
    s.keys = std::make_shared<Pop3DeleteKeys>();
  }

  // The probe was found and its server still answers: delete it whatever failed since.
  bool runs_after_failure(const StepContext& ctx) const override {
    return !ctx.shared.pop3_uid.empty() && !ctx.shared.store_failed && !ctx.shared.deleted;
  }

  boost::asio::awaitable<std::optional<Failure>> run(StepContext& ctx,
                                                     StepResult& out) const override {
    const Step& step = ctx.current();
    proto::pop3::Config c = pop3_config(ctx, step);
    c.mode = proto::pop3::Mode::remove;
    // The unique-id is only good in the maildrop it was found in; anywhere else, the first
    // message whose header this session proves to carry the token.
    if (ctx.shared.found_in == pop3_mailbox_key(ctx.file, step)) c.uid = ctx.shared.pop3_uid;
    const std::string wanted = c.uid;
    proto::pop3::Client client(std::move(c));
    const auto o = co_await run_pop3(ctx, step, client, out);
    const auto& oc = client.outcome();
    if (!oc.found_uid.empty()) out.add_detail("uidl", oc.found_uid, "unique-id " + oc.found_uid);
    out.add_detail("deleted", oc.deleted,
                   oc.deleted             ? "deleted (QUIT committed the DELE)"
                   : oc.dele_accepted     ? "not deleted: the session ended before QUIT committed "
                                            "the DELE"
                   : oc.found_uid.empty() ? "not deleted: no message with this run's token"
                                          : "not deleted");
    ctx.shared.deleted = !o.failure && oc.deleted;
    if (!o.failure && oc.found_uid.empty()) {
      // Gone already (another client took it): nothing to delete, and not silently OK; it stays
      // pending, for a later run to look for.
      out.note = "the probe" + (wanted.empty() ? std::string() : " (unique-id " + wanted + ")") +
                 " was not in the maildrop any more";
    }
    if (o.failure) ctx.shared.store_failed = true;
    co_return o.failure;
  }
};

}  // namespace

const StepKind& pop3_delete_kind() {
  static const Pop3Delete kind;
  return kind;
}

}  // namespace mc::scn
