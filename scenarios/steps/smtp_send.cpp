#include "scenarios/steps/smtp_send.hpp"

#include <set>

#include "protocols/address.hpp"
#include "protocols/smtp.hpp"
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/credentials.hpp"
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
    s.keys = std::move(keys);
  }

  boost::asio::awaitable<std::optional<Failure>> run(StepContext& ctx,
                                                     StepResult& out) const override {
    const Step& step = ctx.current();
    const auto& keys = step.as<SendKeys>();
    const Server& server = ctx.file.servers.at(step.server);
    proto::smtp::Config c;
    c.ehlo_name = keys.ehlo.empty() ? local_host_name() : keys.ehlo;
    c.implicit_tls = server.implicit_tls;
    c.starttls = server.starttls;
    c.allow_plaintext_auth = server.allow_plaintext_auth;
    if (!step.account.empty()) {
      c.auth = sasl_credentials(ctx.file.accounts.at(step.account), server);
    }
    c.mail_from = keys.from;
    c.rcpt_to = keys.to;
    c.message = build_probe_message(keys, ctx.scenario.name, ctx.token, ctx.clock.wall_now());
    proto::smtp::Client client(std::move(c));
    auto connection = ctx.transport.connect(ctx.session_options(server, ctx.deadline));
    auto o = co_await connection->run(client, ctx.deadline);
    connection->close();  // QUIT was the machine's last word
    ctx.record(server, o, out);
    if (client.outcome().plaintext_auth) out.plaintext_auth = true;
    if (const std::string& m = client.outcome().auth_mechanism; !m.empty())
      out.add_detail("auth_mechanism", m, "AUTH " + m);
    if (o.failure) out.transcript = client.transcript().lines();
    if (const auto& id = client.outcome().queue_id)
      out.add_detail("queue_id", *id, "queue id " + *id, /*summary=*/true);
    if (!o.failure) {
      ctx.shared.queued = StepContext::phase_end(o, "message");
      if (ctx.shared.queued) {
        ctx.result.queued_at = ctx.timeline.wall_at(*ctx.shared.queued);
        if (ctx.probe_accepted) ctx.probe_accepted();
      }
    }
    co_return o.failure;
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
