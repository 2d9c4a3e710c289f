#include "scenarios/steps/smtp_send.hpp"

#include <set>

#include "protocols/address.hpp"
#include "protocols/smtp.hpp"
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/credentials.hpp"
#include "scenarios/steps/mx_route.hpp"
#include "scenarios/steps/registry.hpp"
#include "scenarios/steps/servers.hpp"

namespace mc::scn {
namespace {

// The largest message `size` may ask for: far above any platform's limit, far below memory.
constexpr std::uint32_t kMaxSize = 100'000'000;

class SmtpSend final : public StepKind {
 public:
  std::string_view name() const override { return "smtp.send"; }
  bool sends_probe() const override { return true; }
  bool expects_refusal(const Step& s) const override {
    return s.as<SendKeys>().policy.reject.has_value();
  }

  const std::vector<KeySpec>& keys() const override {
    static const std::vector<KeySpec> k = {
        kStepKey,
        kServerKey,
        kAccountKey,
        {"from", KeyType::string, "the account's user", "is the sender, in MAIL FROM and From:"},
        {"to", KeyType::strings, "the account's user", "lists the recipients, in RCPT TO and To:"},
        {"ehlo", KeyType::string, "this host's name", "is the name EHLO gives"},
        {"subject", KeyType::string, "mailcanary probe NAME", "is the probe's subject"},
        {"headers", KeyType::strings, "", "adds header lines to the probe"},
        {"body", KeyType::string, "a line saying what the probe is", "is the probe's text"},
        {"size", KeyType::count, "", "pads the probe to this many bytes"},
        kExpectRejectKey,
        kGreylistKey,
        kGreylistDelayKey,
        kTimeoutKey,
        kWarnKey,
        kCritKey,
    };
    return k;
  }

  void load(StepInput& in, Step& s) const override {
    auto keys = std::make_shared<SendKeys>();
    const std::string& where = in.where();
    const File& f = in.file();
    if (auto v = in.string("from")) keys->from = *v;
    if (auto v = in.string("ehlo")) {
      keys->ehlo = *v;
      if (keys->ehlo.empty() ||
          keys->ehlo.find_first_of(std::string_view(" \t\r\n\0", 5)) != std::string::npos)
        in.problem(where + ".ehlo", "\"" + printable(keys->ehlo) +
                                        "\" is not a host name for EHLO: give one name without "
                                        "spaces or line breaks, like \"probe.example.net\"");
    }
    if (in.has("to")) {
      if (auto v = in.strings("to")) keys->to = *v;
    }
    load_content(in, *keys);
    if (s.server.empty())
      in.problem(where, "smtp.send needs a \"server\"");
    else if (is_mx_route(s.server))
      check_mx_route(in, s);
    else
      in.check_server(s, {"smtp", "smtps"});
    if (!s.account.empty()) in.check_account(s);
    const bool account_known = !s.account.empty() && f.accounts.count(s.account) > 0;
    if (keys->from.empty() && account_known) keys->from = f.accounts.at(s.account).user;
    if (keys->from.empty()) in.problem(where, "smtp.send needs \"from\" (or an \"account\")");
    if (keys->to.empty() && account_known) keys->to.push_back(f.accounts.at(s.account).user);
    if (keys->to.empty() && !in.has("to")) in.problem(where, "smtp.send needs \"to\"");
    check_addresses(in, *keys);
    in.check_plaintext_auth(s);
    load_policy(in, s, keys->policy);
    // An mx: route falls back from host to host as an MTA does, and knows no expected refusal
    // or greylisting: a probe that should be refused would be delivered. Nothing is sent.
    if (is_mx_route(s.server) && (keys->policy.reject || keys->policy.greylist_retry))
      in.problem(where + (keys->policy.reject ? ".expect" : ".greylist"),
                 std::string(keys->policy.reject ? "\"expect\"" : "\"greylist\"") +
                     " needs a server from \"servers\", not an \"mx:\" route (which would "
                     "deliver the probe to the next MX): name the MX, like \"mx\": { \"url\": "
                     "\"smtp://mx.example.net:25\", \"starttls\": \"optional\" }, and use it here");
    s.keys = std::move(keys);
  }

  boost::asio::awaitable<std::optional<Failure>> run(StepContext& ctx,
                                                     StepResult& out) const override {
    const Step& step = ctx.current();
    const auto& keys = step.as<SendKeys>();
    if (is_mx_route(step.server)) co_return co_await send_via_mx(ctx, out, keys);
    const Server& server = ctx.file.servers.at(step.server);
    proto::smtp::Config c;
    c.ehlo_name = keys.ehlo.empty() ? local_host_name() : keys.ehlo;
    c.implicit_tls = server.implicit_tls;
    c.starttls = server.starttls;
    c.allow_plaintext_auth = server.allow_plaintext_auth;
    if (!step.account.empty()) {
      c.auth = sasl_credentials(ctx, ctx.file.accounts.at(step.account), server);
    }
    c.mail_from = keys.from;
    c.rcpt_to = keys.to;
    c.message = build_probe_message(keys, ctx.scenario.name, ctx.token, ctx.clock.wall_now());
    configure(keys.policy, c);
    SendAttempt a = co_await send_probe(ctx, out, server, keys.policy, c);
    if (a.smtp.plaintext_auth) out.plaintext_auth = true;
    if (const std::string& m = a.smtp.auth_mechanism; !m.empty())
      out.add_detail("auth_mechanism", m, "AUTH " + m);
    if (keys.policy.reject) {
      auto verdict = judge_refusal(*keys.policy.reject, a, out);
      if (verdict) out.transcript = a.transcript;
      co_return verdict;
    }
    const SessionOutcome& o = a.session;
    if (a.failure) out.transcript = a.transcript;
    if (const auto& id = a.smtp.queue_id)
      out.add_detail("queue_id", *id, "queue id " + *id, /*summary=*/true);
    if (!a.failure) {
      ctx.shared.queued = StepContext::phase_end(o, "message");
      if (ctx.shared.queued) {
        ctx.result.queued_at = ctx.timeline.wall_at(*ctx.shared.queued);
        if (ctx.probe_accepted) ctx.probe_accepted();
      }
    }
    co_return a.failure;
  }

 private:
  // What the file puts into the message is checked here: a CR or LF in a header value would
  // start a header of the file's making, and nothing is sent that a check refuses.
  static void load_content(StepInput& in, SendKeys& keys) {
    const std::string& where = in.where();
    if (auto v = in.string("subject")) {
      if (auto p = subject_problem(*v))
        in.problem(where + ".subject", *p);
      else
        keys.subject = *v;
    }
    if (auto lines = in.strings("headers")) {
      for (std::size_t i = 0; i < lines->size(); ++i) {
        std::string name;
        std::string value;
        if (auto p = extra_header_problem((*lines)[i], name, value))
          in.problem(
              where + ".headers" + (in.is_list("headers") ? "[" + std::to_string(i) + "]" : ""),
              *p);
        else
          keys.headers.emplace_back(name, value);
      }
    }
    if (auto v = in.string("body")) {
      if (auto p = body_problem(*v))
        in.problem(where + ".body", *p);
      else
        keys.body = *v;
    }
    if (auto n = in.count("size", kMaxSize)) keys.size = *n;
  }

  // Addresses go into MAIL FROM and RCPT TO as they are: a CR or LF would end the command and
  // start another, so they are checked here, before anything is sent.
  static void check_addresses(StepInput& in, const SendKeys& keys) {
    const std::string& where = in.where();
    std::set<std::string> told;  // an account's user stands in for from and to: say it once
    auto check = [&](const std::string& address, const std::string& at, bool from_account) {
      auto p = proto::smtp::address_problem(address);
      if (!p || !told.insert(at + address).second) return;
      in.problem(at, "\"" + printable(address) + "\" is not a valid mail address" +
                         (from_account ? " (it is the account's \"user\")" : "") + ": " + *p);
    };
    if (!keys.from.empty())
      check(keys.from, in.has("from") ? where + ".from" : where, !in.has("from"));
    const bool listed = in.has("to") && in.is_list("to");
    for (std::size_t i = 0; i < keys.to.size(); ++i) {
      std::string at = where;
      if (in.has("to")) at += listed ? ".to[" + std::to_string(i) + "]" : ".to";
      check(keys.to[i], at, !in.has("to"));
    }
  }
};

}  // namespace

const StepKind& smtp_send_kind() {
  static const SmtpSend kind;
  return kind;
}

}  // namespace mc::scn
