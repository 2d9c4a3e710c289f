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
  c.user = account.user;
  c.secret = account.password;
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
  if (o.failure) out.transcript = client.transcript().lines();
  co_return o;
}

std::string pop3_mailbox_key(const File& file, const Step& step) {
  return mailbox_key(file, step, "INBOX");
}

}  // namespace mc::scn
