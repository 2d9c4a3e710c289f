#include <algorithm>

#include "scenarios/steps/credentials.hpp"
#include "scenarios/steps/imap_wait.hpp"
#include "scenarios/steps/pop3.hpp"

namespace mc::scn {

proto::pop3::Config pop3_config(const StepContext& ctx, const Step& step) {
  const Server& server = ctx.file.servers.at(step.server);
  const Account& account = ctx.file.accounts.at(step.account);
  proto::pop3::Config c;
  c.implicit_tls = server.implicit_tls;
  c.starttls = server.starttls;
  c.allow_plaintext_auth = server.allow_plaintext_auth;
  const proto::sasl::Credentials creds = sasl_credentials(ctx, account, server);
  c.user = creds.user;
  c.secret = creds.secret;
  c.secret_is_token = creds.token;
  c.mechanism = creds.mechanism;
  c.token = ctx.token;
  return c;
}

boost::asio::awaitable<SessionOutcome> run_pop3(StepContext& ctx, const Step& step,
                                                proto::pop3::Client& client, StepResult& out) {
  const Server& server = ctx.file.servers.at(step.server);
  auto connection = ctx.transport.connect(ctx.session_options(server, ctx.deadline));
  auto o = co_await connection->run(client, ctx.deadline);
  connection->close();  // QUIT was the session's last word, or it failed
  ctx.record(server, o, out);
  if (client.outcome().plaintext_auth) out.plaintext_auth = true;
  // pop3.wait logs in once per round: the mechanism is said once.
  const std::string& m = client.outcome().login_with;
  const auto said = [](const Detail& d) { return d.key == "auth_mechanism"; };
  if (!m.empty() && std::none_of(out.details.begin(), out.details.end(), said))
    out.add_detail("auth_mechanism", m, "login by " + m);
  if (o.failure) out.transcript = client.transcript().lines();
  co_return o;
}

std::string pop3_mailbox_key(const File& file, const Step& step) {
  return mailbox_key(file, step, "INBOX");
}

}  // namespace mc::scn
