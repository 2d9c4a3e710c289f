// smtp::Client against a fuzzer-chosen server, in every mode. Input: one flags byte, then the
// ServerScript (harness.hpp): K, the server's bytes, K chunk sizes.
//   flags bits 0-1  0 implicit TLS (smtps), 1 STARTTLS required, 2 optional, 3 off
//         bits 2-3  0 no AUTH (MX delivery), 1 automatic, 2 PLAIN, 3 LOGIN
//         bit  4    allow_plaintext_auth
//         bit  5    two recipients instead of one
//         bits 6-7  the message: plain, dot lines and bare LFs, empty, no final line break
// TLS always comes up when asked for; the server closes the connection once its bytes are out.
// The client's limits are the fixed ones of README "Limits"; run.sh's -max_len lets inputs pass
// the line limit.
//
// Asserts beyond "no crash", on every session:
// - with AUTH configured, the secret, its base64 and the base64 of the AUTH PLAIN response
//   appear in no transcript line, failure message or failure reply, nor in the queue id (in no
//   letter case: the client redacts a secret echoed in capitals too);
// - no AUTH is written without credentials configured; nothing starting with AUTH and no
//   encoding of the secret is written while outcome().tls is false, unless allow_plaintext_auth;
// - every command is one CRLF-terminated line; the message goes out dot-stuffed, once;
// - the session ends (bounded steps) and succeeds only after a 250 to the message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codec/base64.hpp"
#include "protocols/smtp.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::codec::base64_encode;
using mc::fuzz::check;
using mc::fuzz::icontains;
using mc::fuzz::istarts_with;
using mc::proto::Action;
namespace smtp = mc::proto::smtp;

const std::string kUser = "probe@example.test";
const std::string kSecret = "S3ntinel-P4ss!";

const std::vector<std::string>& secret_forms() {
  static const std::vector<std::string> forms = {
      kSecret, base64_encode(kSecret),
      base64_encode(std::string(1, '\0') + kUser + '\0' + kSecret)};
  return forms;
}

void no_secret(std::string_view text, std::string_view where) {
  for (const std::string& form : secret_forms())
    check(!icontains(text, form), std::string("secret in ") + std::string(where), text);
}

smtp::Config config(std::uint8_t flags) {
  smtp::Config cfg;
  cfg.ehlo_name = "canary.example.test";
  switch (flags & 3) {
    case 0:
      cfg.implicit_tls = true;
      break;
    case 1:
      cfg.starttls = smtp::StartTls::required;
      break;
    case 2:
      cfg.starttls = smtp::StartTls::optional;
      break;
    default:
      cfg.starttls = smtp::StartTls::off;
      break;
  }
  static constexpr std::optional<mc::proto::sasl::Mechanism> kMechanisms[] = {
      std::nullopt, mc::proto::sasl::Mechanism::plain, mc::proto::sasl::Mechanism::login};
  if (const int auth = (flags >> 2) & 3; auth != 0) {
    cfg.auth = smtp::Credentials{kUser, kSecret};
    cfg.auth->mechanism = kMechanisms[auth - 1];
    cfg.auth->nonce = "fuzz";  // a run replays the same way
  }
  cfg.allow_plaintext_auth = (flags & 0x10) != 0;
  cfg.mail_from = "canary@example.test";
  cfg.rcpt_to = {"inbox@example.test"};
  if (flags & 0x20) cfg.rcpt_to.push_back("second@example.net");
  static const char* const kMessages[] = {
      "Subject: probe\r\nX-Mailcanary-Token: 3f9a0c1d\r\n\r\nhello\r\n",
      "Subject: dots\n\n.\n..leading\r\n.\r\nend",
      "",
      "Subject: unterminated\r\n\r\nno final line break",
  };
  cfg.message = kMessages[flags >> 6];
  return cfg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mc::fuzz::ServerScript script(data, size, 1);
  const smtp::Config cfg = config(script.flag(0));
  smtp::Client client(cfg);
  const std::string body = smtp::dot_stuff(cfg.message);
  int bodies_written = 0;

  mc::fuzz::Observer obs;
  obs.on_write = [&](const Action& a) {
    const std::string& w = a.data;
    if (!cfg.auth) check(!istarts_with(w, "AUTH"), "AUTH written without credentials", w);
    if (!client.outcome().tls && !cfg.allow_plaintext_auth) {
      check(!istarts_with(w, "AUTH"), "AUTH written without TLS", w);
      for (const std::string& form : secret_forms())
        check(w.find(form) == std::string::npos, "secret written without TLS", w);
    }
    if (w == body) {
      ++bodies_written;
      check(bodies_written == 1, "message written twice");
      return;
    }
    check(w.size() >= 2 && w.ends_with("\r\n") && w.find('\n') == w.size() - 1 &&
              w.find('\r') == w.size() - 2,
          "a command is not exactly one CRLF-terminated line", w);
  };
  const Action last = mc::fuzz::play(client, script, obs);

  if (cfg.auth) {  // without AUTH the client knows no secret: the server's words are its own
    for (const auto& line : client.transcript().lines()) no_secret(line.text, "the transcript");
    if (last.failure) {
      no_secret(last.failure->message, "a failure message");
      if (const auto& r = last.failure->reply) {
        no_secret(r->text, "a failure reply");
        no_secret(r->enhanced, "a failure reply");
        no_secret(r->status, "a failure reply");
      }
    }
    if (const auto& id = client.outcome().queue_id) no_secret(*id, "the queue id");
    if (const auto& r = client.outcome().final_reply) no_secret(r->text, "the final reply");
  }
  if (!last.failure) {
    check(bodies_written == 1 && client.outcome().final_reply &&
              client.outcome().final_reply->code == 250,
          "success without a 250 to the message");
  }
  return 0;
}
