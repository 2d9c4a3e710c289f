#include "scenarios/steps.hpp"

namespace mc::scn {
namespace {

// Header values must stay printable ASCII on one line whatever a scenario is called.
std::string header_safe(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '_';
  return out;
}

std::string domain_of(const std::string& address) {
  const auto at = address.rfind('@');
  if (at == std::string::npos || at + 1 == address.size()) return "mailcanary.invalid";
  return header_safe(address.substr(at + 1));
}

template <typename StartTlsEnum>
StartTlsEnum map_starttls(StartTls s) {
  switch (s) {
    case StartTls::required:
      return StartTlsEnum::required;
    case StartTls::optional:
      return StartTlsEnum::optional;
    case StartTls::off:
      return StartTlsEnum::off;
  }
  return StartTlsEnum::required;
}

}  // namespace

std::string build_probe_message(const Step& step, const std::string& scenario,
                                const std::string& token, Wall::time_point now) {
  std::string to;
  for (const auto& r : step.to) to += (to.empty() ? "" : ", ") + header_safe(r);
  std::string m;
  m += "From: " + header_safe(step.from) + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: mailcanary probe " + header_safe(scenario) + "\r\n";
  m += "Date: " + rfc5322_date(now) + "\r\n";
  m += "Message-ID: <" + token + "@" + domain_of(step.from) + ">\r\n";
  m += "X-Mailcanary-Token: " + token + "\r\n";
  m += "X-Mailcanary-Scenario: " + header_safe(scenario) + "\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=us-ascii\r\n";
  m += "\r\n";
  m += "This message was sent by mailcanary to measure how long mail takes to arrive.\r\n";
  m += "It is deleted automatically once it has been seen.\r\n";
  return m;
}

proto::smtp::Config smtp_config(const File& file, const Step& step, const std::string& message,
                                const std::string& default_ehlo) {
  const Server& server = file.servers.at(step.server);
  proto::smtp::Config c;
  c.ehlo_name = step.ehlo.empty() ? default_ehlo : step.ehlo;
  c.implicit_tls = server.implicit_tls;
  c.starttls = map_starttls<proto::smtp::StartTls>(server.starttls);
  c.allow_plaintext_auth = server.allow_plaintext_auth;
  if (!step.account.empty()) {
    const Account& a = file.accounts.at(step.account);
    c.auth = proto::smtp::Credentials{a.user, a.password, proto::smtp::AuthMechanism::automatic};
  }
  c.mail_from = step.from;
  c.rcpt_to = step.to;
  c.message = message;
  return c;
}

proto::imap::Config imap_config(const File& file, const Step& step, const std::string& token) {
  const Server& server = file.servers.at(step.server);
  const Account& a = file.accounts.at(step.account);
  proto::imap::Config c;
  c.implicit_tls = server.implicit_tls;
  c.starttls = map_starttls<proto::imap::StartTls>(server.starttls);
  c.allow_plaintext_auth = server.allow_plaintext_auth;
  c.user = a.user;
  c.secret = a.password;
  c.mailbox = step.mailbox;
  c.mode = step.kind == "imap.delete" ? proto::imap::Mode::remove : proto::imap::Mode::wait;
  c.token = token;
  c.poll_interval = step.poll_interval;
  return c;
}

}  // namespace mc::scn
