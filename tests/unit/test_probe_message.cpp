// The probe message smtp.send sends: mailcanary's own headers always, the file's subject, extra
// headers and body as given, a non-ASCII subject as RFC 2047 words, and the size padding.
#include <catch2/catch.hpp>
#include <string>

#include "codec/base64.hpp"
#include "scenarios/steps/smtp_send.hpp"

using mc::scn::build_probe_message;
using mc::scn::SendKeys;

namespace {

const std::string kToken = "0123456789abcdef0123456789abcdef";

SendKeys keys() {
  SendKeys k;
  k.from = "probe@example.test";
  k.to = {"probe@example.test"};
  return k;
}

std::string build(const SendKeys& k) {
  return build_probe_message(k, "s", kToken, mc::Wall::from_time_t(1'800'000'000));
}

std::string header_block(const std::string& m) {
  return m.substr(0, m.find("\r\n\r\n") + 2);
}

}  // namespace

TEST_CASE("probe message: mailcanary's headers, then the file's, then the MIME fields",
          "[message]") {
  SendKeys k = keys();
  k.subject = "Quarterly report";
  k.headers = {{"X-Probe-Kind", "junk-test"}, {"List-Id", "<probes.example.test>"}};
  k.body = "line one\nline two";
  const std::string m = build(k);
  CHECK(m.find("Subject: Quarterly report\r\n") != std::string::npos);
  CHECK(m.find("X-Mailcanary-Token: " + kToken + "\r\n") != std::string::npos);
  CHECK(header_block(m).find("X-Mailcanary-Scenario: s\r\nX-Probe-Kind: junk-test\r\n"
                             "List-Id: <probes.example.test>\r\nAuto-Submitted:") !=
        std::string::npos);
  CHECK(m.substr(m.find("\r\n\r\n") + 4) == "line one\r\nline two\r\n");
  CHECK(m.find("\n") == m.find("\r\n") + 1);  // CRLF throughout
}

TEST_CASE("probe message: a non-ASCII subject as RFC 2047 words, split on characters",
          "[message]") {
  SendKeys k = keys();
  std::string subject;
  for (int i = 0; i < 12; ++i) subject += "Grüße aus Köln ";  // 2-byte characters throughout
  k.subject = subject;
  const std::string m = build(k);
  const auto at = m.find("Subject: ") + 9;
  const std::string field = m.substr(at, m.find("\r\nDate:") - at);
  std::string decoded;
  std::size_t pos = 0;
  int words = 0;
  while ((pos = field.find("=?UTF-8?B?", pos)) != std::string::npos) {
    const auto end = field.find("?=", pos + 10);
    REQUIRE(end != std::string::npos);
    CHECK(end + 2 - pos <= 75);  // RFC 2047: an encoded word is at most 75 characters
    auto piece = mc::codec::base64_decode(field.substr(pos + 10, end - pos - 10));
    REQUIRE(piece);
    // Each word holds whole characters: it does not end inside a UTF-8 sequence.
    CHECK((static_cast<unsigned char>(piece->back()) & 0xC0) != 0xC0);
    decoded += *piece;
    pos = end + 2;
    ++words;
  }
  CHECK(words > 1);
  CHECK(decoded == subject);
  CHECK(field.find("\r\n ") != std::string::npos);  // folded between words
}

TEST_CASE("probe message: size pads to exactly that many bytes, never below the message",
          "[message]") {
  SendKeys k = keys();
  const std::size_t natural = build(k).size();
  k.size = 20'000;
  CHECK(build(k).size() == 20'000);
  k.size = static_cast<std::uint32_t>(natural + 2);
  CHECK(build(k).size() == natural + 2);
  k.size = static_cast<std::uint32_t>(natural - 10);
  CHECK(build(k).size() == natural);
  k.size = 1'000'003;
  const std::string big = build(k);
  CHECK(big.size() == 1'000'003);
  std::size_t longest = 0;
  for (std::size_t at = 0, next; at < big.size(); at = next + 2) {
    next = big.find("\r\n", at);
    longest = std::max(longest, next - at);
  }
  CHECK(longest <= 998);
}

TEST_CASE("probe message: what the file may not put in a header or a body", "[message]") {
  std::string name;
  std::string value;
  CHECK_FALSE(mc::scn::extra_header_problem("X-Ok: fine\tand tabbed", name, value));
  CHECK(name == "X-Ok");
  CHECK(value == "fine\tand tabbed");
  CHECK(mc::scn::extra_header_problem("X-Evil: a\r\nBcc: x@example.test", name, value));
  CHECK(mc::scn::extra_header_problem("X-Evil: a\nb", name, value));
  CHECK(mc::scn::extra_header_problem("X-Mailcanary-Token: forged", name, value));
  CHECK(mc::scn::extra_header_problem("DATE: now", name, value));
  CHECK(mc::scn::extra_header_problem(": no name", name, value));
  CHECK(mc::scn::extra_header_problem("X-Tr\xc3\xa9: 1", name, value));
  CHECK(mc::scn::subject_problem("two\rlines"));
  CHECK_FALSE(mc::scn::subject_problem("Grüße"));
  CHECK(mc::scn::body_problem(std::string(999, 'a')));
  CHECK_FALSE(mc::scn::body_problem(std::string(998, 'a') + "\n" + std::string(998, 'b')));
  CHECK(mc::scn::body_problem(std::string("nul\0here", 8)));
}
