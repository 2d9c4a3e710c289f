// The policy probes' readers of server words and file patterns: greylisting() and named_delay()
// on the input as a reply's text, parse_code_pattern() on it as a pattern, and matches() of an
// accepted pattern against replies made of the input; and the client held before the message
// (Config::hold) against the input as the server's side.
//
// Asserts beyond "no crash":
// - named_delay: a delay is at most one day.
// - greylisting: never for a code other than 450 or 451.
// - parse_code_pattern: an accepted pattern starts with 4 or 5, is three characters (reply
//   code) or three dot-separated parts (enhanced), and matches no 2xx reply; a refused one has
//   a problem.
// - a held client never writes DATA's content: no line it writes after DATA.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/smtp.hpp"
#include "protocols/smtp/policy.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using mc::proto::ServerReply;
namespace smtp = mc::proto::smtp;

void check_delay(std::string_view text) {
  const auto d = smtp::named_delay(text);
  if (d)
    check(*d <= std::chrono::hours(24) && *d >= std::chrono::seconds(0), "delay beyond a day",
          text);
}

void check_greylisting(std::string_view text) {
  for (int code : {250, 421, 450, 451, 452, 550}) {
    for (const char* enhanced : {"", "4.7.1", "4.2.0", "5.7.1"}) {
      const auto g = smtp::greylisting(ServerReply{code, enhanced, std::string(text), ""});
      if (g) check(code == 450 || code == 451, "greylisting for another code", text);
      if (g && g->delay) check(*g->delay <= std::chrono::hours(24), "greylist delay over a day");
    }
  }
}

void check_pattern(std::string_view text) {
  std::string problem;
  const auto p = smtp::parse_code_pattern(text, problem);
  if (!p) {
    check(!problem.empty(), "pattern refused without a problem", text);
    return;
  }
  check(p->text[0] == '4' || p->text[0] == '5', "pattern of no refusal class", text);
  if (!p->enhanced) check(p->text.size() == 3, "reply code pattern not three characters", text);
  check(!smtp::matches(*p, ServerReply{250, "2.0.0", "", ""}), "pattern matches a 250", text);
  // Against replies made of the input itself: no crash, whatever the input holds.
  smtp::matches(*p, ServerReply{550, std::string(text), "", ""});
  smtp::matches(*p, ServerReply{554, "5.7.1", "", ""});
}

void check_held_client(const std::uint8_t* data, std::size_t size) {
  mc::fuzz::ServerScript script(data, size, 1);
  smtp::Config c;
  c.ehlo_name = "probe.example";
  c.starttls = mc::proto::StartTls::off;
  c.mail_from = "probe@example.test";
  c.rcpt_to = {"x@foreign.test"};
  c.message = "Subject: held\r\n\r\nnever sent\r\n";
  c.hold =
      script.flag(0) % 2 ? smtp::Config::Hold::before_data : smtp::Config::Hold::before_message;
  c.quit_after_refusal = true;
  smtp::Client client(c);
  mc::fuzz::Observer obs;
  obs.on_write = [](const mc::proto::Action& a) {
    check(a.data.find("never sent") == std::string::npos, "a held client wrote the message",
          a.data);
  };
  mc::fuzz::play(client, script, obs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_delay(input);
  check_greylisting(input);
  check_pattern(input);
  check_held_client(data, size);
  return 0;
}
