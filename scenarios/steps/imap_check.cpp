// imap.check: the "open my mailbox" experience. Login, LIST, then SELECT each mailbox named and
// FETCH the headers of its newest messages, each SELECT and FETCH a phase naming its mailbox.
#include "protocols/imap.hpp"
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/imap_sessions.hpp"
#include "scenarios/steps/registry.hpp"
#include "scenarios/steps/servers.hpp"

namespace mc::scn {
namespace {

// More headers than a mail client shows on its first screen would measure the link, not the
// mailbox.
constexpr std::uint32_t kMaxFetch = 1000;

struct CheckKeys : StepKeys {
  std::vector<std::string> mailboxes = {"INBOX"};
  std::uint32_t fetch = 10;
};

class ImapCheck final : public StepKind {
 public:
  std::string_view name() const override { return "imap.check"; }

  const std::vector<KeySpec>& keys() const override {
    static const std::vector<KeySpec> k = {
        kStepKey,
        kServerKey,
        kAccountKey,
        {"mailboxes", KeyType::strings, "[\"INBOX\"]", "lists the mailboxes to open"},
        {"fetch", KeyType::count, "10", "is how many of the newest headers to fetch"},
        kSessionKey,
        kTimeoutKey,
        kWarnKey,
        kCritKey,
    };
    return k;
  }

  void load(StepInput& in, Step& s) const override {
    auto keys = std::make_shared<CheckKeys>();
    if (in.has("mailboxes")) {
      if (auto v = in.strings("mailboxes")) {
        keys->mailboxes = *v;
        for (std::size_t i = 0; i < v->size(); ++i) {
          const std::string& m = (*v)[i];
          const std::string at = in.where() + ".mailboxes" +
                                 (in.is_list("mailboxes") ? "[" + std::to_string(i) + "]" : "");
          if (m.empty() || m.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
            in.problem(at, "\"" + printable(m) +
                               "\" is not a mailbox name: give a name without line breaks, "
                               "like \"INBOX\" or \"Archive\"");
        }
      }
    }
    if (auto n = in.count("fetch", kMaxFetch)) keys->fetch = *n;
    check_mailbox_login(in, s);
    s.keys = std::move(keys);
  }

  boost::asio::awaitable<std::optional<Failure>> run(StepContext& ctx,
                                                     StepResult& out) const override {
    const auto& keys = ctx.current().as<CheckKeys>();
    std::optional<Failure> failure;
    auto* session = co_await ctx.sessions->acquire(ctx, out, failure);
    if (session == nullptr) co_return failure;
    proto::imap::CheckConfig c;
    c.mailboxes = keys.mailboxes;
    c.fetch = keys.fetch;
    proto::imap::Check task(*session->link, std::move(c));
    const auto o = co_await ctx.sessions->run(ctx, *session, task, out);
    const auto& oc = task.outcome();
    nlohmann::json seen = nlohmann::json::array();
    std::string text;
    for (const auto& m : oc.mailboxes) {
      seen.push_back({{"mailbox", m.name}, {"exists", m.exists}, {"fetched", m.fetched}});
      text += (text.empty() ? "" : ", ") + m.name + ": " + std::to_string(m.exists) +
              (m.exists == 1 ? " message" : " messages") + ", " + std::to_string(m.fetched) +
              " fetched";
    }
    if (!oc.mailboxes.empty()) out.add_detail("mailboxes", std::move(seen), text, true);
    // A mailbox the server refused is not a server that failed: it still answers, and may still
    // delete the probe.
    if (o.failure && o.failure->reason != Reason::rejected) ctx.shared.store_failed = true;
    co_return o.failure;
  }
};

}  // namespace

const StepKind& imap_check_kind() {
  static const ImapCheck kind;
  return kind;
}

}  // namespace mc::scn
