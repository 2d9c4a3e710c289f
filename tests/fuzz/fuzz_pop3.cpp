// The POP3 reply reader on the raw input, then pop3::Client against a fuzzer-chosen server.
// Input: one flag byte, then the ServerScript (harness.hpp): K, the server's bytes, K chunk sizes.
//   flags[0] bit  0    mode: 0 find (pop3.wait), 1 remove (pop3.delete)
//            bits 1-2  0 implicit TLS (pop3s), 1 STLS required, 2 optional, 3 off
//            bit  3    allow_plaintext_auth
//            bit  4    remove: the unique-id pop3.wait found is given ("a")
// TLS always comes up when asked for; the server closes the connection once its bytes are out.
//
// Asserts beyond "no crash":
// - reader: a complete reply's lines hold no LF (a bare CR is the message's own), their bytes
//   stay within kMaxMultilineBytes, and only a +OK carries lines;
// - client: no spelling of the secret in a transcript line or the failure; PASS and AUTH are
//   never written while outcome().tls is false, unless allow_plaintext_auth; DELE is written only
//   in remove mode, once, naming the message whose header proved the token (and, with a
//   unique-id given, only that unique-id's); deleted only after DELE and QUIT were both +OK;
//   every write ends with CRLF.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/base64.hpp"
#include "protocols/pop3/client.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using mc::fuzz::icontains;
namespace pop3 = mc::proto::pop3;

const std::string kUser = "probe@example.test";
const std::string kSecret = "Fuzz-S3cret!";
const std::string kToken = "0123456789abcdef";

void check_reader(std::string_view input, bool multiline) {
  mc::proto::LineBuffer in;
  in.feed(input);
  pop3::ReplyReader reader;
  for (int n = 0; n < 1000; ++n) {
    pop3::Reply r;
    const auto st = reader.next(in, r, multiline);
    if (st != pop3::ReplyReader::Status::complete) return;
    check(r.ok() || r.lines.empty(), "lines on a reply that is not +OK");
    check(r.body_bytes <= pop3::kMaxMultilineBytes, "multi-line body beyond the limit");
    for (const auto& l : r.lines)
      check(l.find('\n') == std::string::npos, "a body line holds a LF", l);
  }
}

void no_secret(std::string_view text) {
  for (const std::string& form :
       {kSecret, mc::codec::base64_encode(kSecret),
        mc::codec::base64_encode(std::string(1, '\0') + kUser + '\0' + kSecret)})
    check(!icontains(text, form), "secret in what the client reports", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mc::fuzz::ServerScript script(data, size, 1);
  check_reader(script.stream(), false);
  check_reader(script.stream(), true);

  const std::uint8_t f = script.flag(0);
  pop3::Config cfg;
  cfg.user = kUser;
  cfg.secret = kSecret;
  cfg.token = kToken;
  cfg.mode = (f & 1) ? pop3::Mode::remove : pop3::Mode::find;
  const int tls = (f >> 1) & 3;
  cfg.implicit_tls = tls == 0;
  cfg.starttls = tls == 2   ? mc::proto::StartTls::optional
                 : tls == 3 ? mc::proto::StartTls::off
                            : mc::proto::StartTls::required;
  cfg.allow_plaintext_auth = (f & 8) != 0;
  if (cfg.mode == pop3::Mode::remove && (f & 16)) cfg.uid = "a";
  pop3::Client client(cfg);
  int deles = 0;
  mc::fuzz::Observer obs;
  obs.on_write = [&](const mc::proto::Action& a) {
    const std::string& w = a.data;
    check(w.size() >= 2 && w.ends_with("\r\n"), "write without CRLF", w);
    const bool auth = w.starts_with("PASS ") || w.starts_with("AUTH ");
    if (auth || w.find(kSecret) != std::string::npos)
      check(client.outcome().tls || cfg.allow_plaintext_auth, "credentials sent without TLS", w);
    if (w.starts_with("DELE ")) {
      ++deles;
      check(cfg.mode == pop3::Mode::remove, "DELE outside pop3.delete", w);
      check(deles == 1, "more than one DELE", w);
      const auto& o = client.outcome();
      check(!o.found_uid.empty() && w == "DELE " + std::to_string(o.found_number) + "\r\n",
            "DELE of a message whose header did not prove the token", w);
      check(cfg.uid.empty() || o.found_uid == cfg.uid, "DELE of another unique-id", w);
    }
  };
  const mc::proto::Action last = mc::fuzz::play(client, script, obs);
  for (const auto& l : client.transcript().lines()) no_secret(l.text);
  if (last.failure) {
    no_secret(last.failure->message);
    if (last.failure->reply) no_secret(last.failure->reply->text);
  }
  const auto& o = client.outcome();
  check(!o.deleted || (o.dele_accepted && o.quit_ok), "deleted without DELE and QUIT +OK");
  check(!o.deleted || !last.failure, "deleted and failed");
  return 0;
}
