// The SASL mechanisms alone (RFC 5802's and RFC 7677's published exchanges, a server that cannot
// prove it knows the password, OAUTHBEARER's error challenge, XOAUTH2's format), the choice
// among what a server offers, and SMTP AUTH dialogues that choose and run them.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "codec/base64.hpp"
#include "protocols/sasl/mechanism.hpp"
#include "protocols/sasl/scram.hpp"
#include "tests/unit/smtp_dialogue.hpp"

namespace {

using mc::codec::base64_encode;
namespace sasl = mc::proto::sasl;
namespace scram = mc::proto::sasl::scram;

sasl::Credentials pencil(std::string nonce) {
  sasl::Credentials c;
  c.user = "user";
  c.secret = "pencil";
  c.nonce = std::move(nonce);
  return c;
}

// RFC 7677 3.
const std::string k7677First = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const std::string k7677ServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const std::string k7677Final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const std::string k7677ServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

// RFC 5802 5.
const std::string k5802ServerFirst =
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";

}  // namespace

TEST_CASE("SCRAM-SHA-256 replays RFC 7677's exchange and verifies the server", "[sasl]") {
  auto x = sasl::start(sasl::Mechanism::scram_sha_256, pencil("rOprNGfwEbeRWgbNEkqO"));
  CHECK(x->initial_response() == k7677First);
  const sasl::Answer a = x->challenge(k7677ServerFirst);
  REQUIRE_FALSE(a.abort);
  CHECK(a.response == k7677Final);
  CHECK(x->succeeded().has_value());  // not before the server signed
  const sasl::Answer b = x->challenge(k7677ServerFinal);
  REQUIRE_FALSE(b.abort);
  CHECK(b.response.empty());
  CHECK_FALSE(x->succeeded().has_value());
}

TEST_CASE("SCRAM-SHA-1 replays RFC 5802's exchange", "[sasl]") {
  auto x = sasl::start(sasl::Mechanism::scram_sha_1, pencil("fyko+d2lbbFgONRv9qkxdawL"));
  CHECK(x->initial_response() == "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  const sasl::Answer a = x->challenge(k5802ServerFirst);
  REQUIRE_FALSE(a.abort);
  CHECK(a.response ==
        "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  CHECK_FALSE(x->challenge("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").abort);
  CHECK_FALSE(x->succeeded().has_value());
}

TEST_CASE("SCRAM: a server that cannot prove it knows the password fails", "[sasl]") {
  SECTION("a wrong signature") {
    auto x = sasl::start(sasl::Mechanism::scram_sha_256, pencil("rOprNGfwEbeRWgbNEkqO"));
    x->initial_response();
    x->challenge(k7677ServerFirst);
    const sasl::Answer b = x->challenge("v=" + base64_encode(std::string(32, 'x')));
    CHECK(b.abort);
    CHECK(b.problem.find("server signature is wrong") != std::string::npos);
    CHECK(x->succeeded().has_value());
  }
  SECTION("success without a signature") {
    auto x = sasl::start(sasl::Mechanism::scram_sha_256, pencil("rOprNGfwEbeRWgbNEkqO"));
    x->initial_response();
    x->challenge(k7677ServerFirst);
    REQUIRE(x->succeeded().has_value());
    CHECK(x->succeeded()->find("without proving") != std::string::npos);
  }
  SECTION("a nonce that does not extend the client's") {
    auto x = sasl::start(sasl::Mechanism::scram_sha_256, pencil("abc"));
    x->initial_response();
    const sasl::Answer a = x->challenge("r=xyzdef,s=QSXCR+Q6sek8bf92,i=4096");
    CHECK(a.abort);
    CHECK(a.problem.find("nonce") != std::string::npos);
  }
  SECTION("the server's error") {
    auto x = sasl::start(sasl::Mechanism::scram_sha_256, pencil("rOprNGfwEbeRWgbNEkqO"));
    x->initial_response();
    x->challenge(k7677ServerFirst);
    const sasl::Answer b = x->challenge("e=invalid-proof");
    CHECK(b.abort);
    CHECK(b.problem == "the server refused the proof: invalid-proof");
  }
}

TEST_CASE("SCRAM server-first parser refuses what it cannot use", "[sasl]") {
  struct Case {
    std::string msg;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"", "the message is empty"},
      {"m=ext,r=a,s=QQ==,i=1",
       "the server demands an extension (m=) that SCRAM clients cannot know"},
      {"r=a,i=4096,s=QQ==", "expected r=nonce,s=salt,i=iterations"},
      {"r=a,s=!!,i=4096", "the salt is empty or not base64"},
      {"r=a,s=QQ==,i=-1", "the iteration count \"-1\" is not a number"},
      {"r=a,s=QQ==,i=0", "the iteration count \"0\" is not a number"},
      {"r=a,s=QQ==,i=99999999999",
       "the server asks for 99999999999 iterations, more than the "
       "limit of 1000000"},
      {"r=a,s=QQ==,i=4096,", "\"\" is not an attribute (a=value)"},
      {"r=a b,s=QQ==,i=1", "the nonce is empty or not printable"},
  };
  for (const Case& c : cases) {
    INFO(c.msg);
    std::string problem;
    CHECK_FALSE(scram::parse_server_first(c.msg, problem).has_value());
    CHECK(problem == c.problem);
  }
  std::string problem;
  const auto ok = scram::parse_server_first("r=ab,s=QUJD,i=4096,x=future", problem);
  REQUIRE(ok);
  CHECK(ok->salt == "ABC");
  CHECK(ok->iterations == 4096);
}

TEST_CASE("SCRAM escapes = and , in the user name", "[sasl]") {
  CHECK(scram::saslname("a=b,c") == "a=3Db=2Cc");
  sasl::Credentials c = pencil("n0nce");
  c.user = "we,ird=user";
  CHECK(sasl::start(sasl::Mechanism::scram_sha_256, c)->initial_response() ==
        "n,,n=we=2Cird=3Duser,r=n0nce");
}

TEST_CASE("XOAUTH2 sends user and bearer token; an error challenge gets an empty answer",
          "[sasl]") {
  sasl::Credentials c{"probe@example.test", "ya29.S3ntinel", true};
  auto x = sasl::start(sasl::Mechanism::xoauth2, c);
  CHECK(x->initial_response() ==
        "user=probe@example.test\x01"
        "auth=Bearer ya29.S3ntinel\x01\x01");
  const sasl::Answer a =
      x->challenge(R"({"status":"401","schemes":"bearer","scope":"https://mail.google.com/"})");
  CHECK_FALSE(a.abort);
  CHECK(a.response.empty());
  CHECK(x->refusal_detail() == "the server's status: 401");
}

TEST_CASE("OAUTHBEARER: gs2 header, host and port; its error challenge is answered %x01",
          "[sasl]") {
  sasl::Credentials c{"user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", true};
  c.host = "server.example.com";
  c.port = 143;
  auto x = sasl::start(sasl::Mechanism::oauthbearer, c);
  // RFC 7628 4.1.
  CHECK(x->initial_response() ==
        "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
        "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01");
  // RFC 7628 4.3.
  const sasl::Answer a = x->challenge(
      R"({"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"})");
  CHECK_FALSE(a.abort);
  CHECK(a.response == "\x01");
  CHECK(x->refusal_detail() == "the server's status: invalid_token");
  CHECK(x->challenge("{}").abort);  // only one error challenge
}

TEST_CASE("an echoed token does not reach the refusal detail", "[sasl]") {
  sasl::Credentials c{"u", "T0ken-S3ntinel", true};
  auto x = sasl::start(sasl::Mechanism::oauthbearer, c);
  x->challenge(R"({"status":"bad token T0ken-S3ntinel"})");
  CHECK(x->refusal_detail() == "the server's status: bad token <redacted>");
}

TEST_CASE("LOGIN answers the prompts; PLAIN refuses challenges", "[sasl]") {
  sasl::Credentials c{"u", "p"};
  auto login = sasl::start(sasl::Mechanism::login, c);
  CHECK_FALSE(login->initial_response().has_value());
  CHECK(login->challenge("Username:").response == "u");
  CHECK(login->challenge("Password:").response == "p");
  CHECK(login->challenge("Password:").abort);
  auto plain = sasl::start(sasl::Mechanism::plain, c);
  CHECK(plain->initial_response() == std::string("\0u\0p", 4));
  CHECK(plain->challenge("x").abort);
  CHECK(plain->challenge_base64("!!").abort);
}

TEST_CASE("the mechanism chosen from the server's offer", "[sasl]") {
  using M = sasl::Mechanism;
  struct Case {
    std::optional<M> wanted;
    bool token;
    std::vector<std::string> offered;
    std::optional<M> chosen;
  };
  const std::vector<Case> cases = {
      {std::nullopt, false, {"PLAIN", "LOGIN", "SCRAM-SHA-256", "SCRAM-SHA-1"}, M::scram_sha_256},
      {std::nullopt, false, {"LOGIN", "PLAIN"}, M::plain},
      {std::nullopt, false, {"LOGIN", "SCRAM-SHA-1"}, M::login},
      {std::nullopt, false, {"SCRAM-SHA-1"}, std::nullopt},  // only when asked for
      {M::scram_sha_1, false, {"SCRAM-SHA-1", "SCRAM-SHA-256"}, M::scram_sha_1},
      {std::nullopt, false, {"XOAUTH2", "OAUTHBEARER"}, std::nullopt},
      {std::nullopt, true, {"PLAIN", "XOAUTH2", "OAUTHBEARER"}, M::oauthbearer},
      {std::nullopt, true, {"PLAIN", "XOAUTH2"}, M::xoauth2},
      {std::nullopt, true, {"PLAIN"}, std::nullopt},
      {M::xoauth2, true, {"XOAUTH2", "OAUTHBEARER"}, M::xoauth2},
      {M::plain, false, {"LOGIN"}, std::nullopt},
  };
  for (const Case& c : cases) {
    sasl::Credentials cr{"u", "p", c.token, c.wanted};
    CHECK(sasl::choose(cr, c.offered) == c.chosen);
  }
}

TEST_CASE("the redactor's forms cover every mechanism's secret messages", "[sasl]") {
  sasl::Credentials c{"u@example.test", "S3ntinel", true};
  const std::vector<std::string> forms = sasl::secret_forms(c);
  for (const sasl::Mechanism m :
       {sasl::Mechanism::plain, sasl::Mechanism::xoauth2, sasl::Mechanism::oauthbearer}) {
    const std::string wire = base64_encode(*sasl::start(m, c)->initial_response());
    CHECK(std::find(forms.begin(), forms.end(), wire) != forms.end());
  }
  CHECK(std::find(forms.begin(), forms.end(), base64_encode("S3ntinel")) != forms.end());
}

// ---------------------------------------------------------------- SMTP AUTH with them

namespace {

using namespace smtp_dialogue;

Config scram_submission() {
  Config c = submission();
  c.auth = mc::proto::sasl::Credentials{"user", "pencil"};
  c.auth->nonce = "rOprNGfwEbeRWgbNEkqO";
  return c;
}

const std::string kScramEhlo =
    "250-mail.example.test\r\n250-AUTH PLAIN LOGIN SCRAM-SHA-256 SCRAM-SHA-1\r\n250 8BITMIME\r\n";

Script scram_opening() {
  Script s = opening_with_starttls();
  s.back().server = kScramEhlo;
  s.push_back({"auth", "AUTH SCRAM-SHA-256 " + base64_encode(k7677First) + "\r\n",
               "334 " + base64_encode(k7677ServerFirst) + "\r\n"});
  return s;
}

}  // namespace

TEST_CASE("SMTP AUTH prefers SCRAM-SHA-256 and checks the server's signature", "[sasl][smtp]") {
  Dialogue d(scram_submission());
  Script script = scram_opening();
  script.push_back({"auth", base64_encode(k7677Final) + "\r\n",
                    "334 " + base64_encode(k7677ServerFinal) + "\r\n"});
  script.push_back({"auth", "\r\n", "235 2.7.0 Authentication successful\r\n"});
  d.play(concat({script, transaction()}));
  d.require_success();
  CHECK(d.client().outcome().auth_mechanism == "SCRAM-SHA-256");
  CHECK(d.client_lines()[3] == "AUTH SCRAM-SHA-256 <redacted>");
  for (const std::string& line : d.client_lines()) CHECK(line.find("pencil") == std::string::npos);
}

TEST_CASE("SMTP AUTH SCRAM with a wrong server signature cancels and fails", "[sasl][smtp]") {
  Dialogue d(scram_submission());
  Script script = scram_opening();
  script.push_back({"auth", base64_encode(k7677Final) + "\r\n",
                    "334 " + base64_encode("v=" + base64_encode(std::string(32, 'x'))) + "\r\n"});
  script.push_back({"auth", "*\r\n", "501 5.7.0 Authentication aborted\r\n"});
  d.play(script);
  const Failure& f = d.require_failure(Reason::auth_failed, "auth");
  CHECK(f.message ==
        "AUTH SCRAM-SHA-256 cancelled: the SCRAM server signature is wrong: the server could not "
        "prove it knows the password");
}

TEST_CASE("SMTP AUTH SCRAM: 235 without the server's signature is auth_failed", "[sasl][smtp]") {
  Dialogue d(scram_submission());
  Script script = scram_opening();
  script.push_back(
      {"auth", base64_encode(k7677Final) + "\r\n", "235 2.7.0 Authentication successful\r\n"});
  d.play(script);
  const Failure& f = d.require_failure(Reason::auth_failed, "auth");
  CHECK(f.message.find("without proving it knows the password") != std::string::npos);
}

TEST_CASE("SMTP AUTH OAUTHBEARER: the error challenge is acknowledged, the status reported",
          "[sasl][smtp]") {
  Config cfg = submission();
  cfg.auth = mc::proto::sasl::Credentials{std::string(kUser), "T0ken-S3ntinel", true};
  cfg.auth->host = "mail.example.test";
  cfg.auth->port = 587;
  Dialogue d(cfg);
  Script script = opening_with_starttls();
  script.back().server = "250-mail.example.test\r\n250 AUTH PLAIN XOAUTH2 OAUTHBEARER\r\n";
  const std::string ir =
      "n,a=probe@example.test,\x01host=mail.example.test\x01port=587\x01"
      "auth=Bearer T0ken-S3ntinel\x01\x01";
  script.push_back({"auth", "AUTH OAUTHBEARER " + base64_encode(ir) + "\r\n",
                    "334 " + base64_encode(R"({"status":"invalid_token"})") + "\r\n"});
  script.push_back({"auth", "AQ==\r\n", "535 5.7.8 Authentication credentials invalid\r\n"});
  d.play(script);
  const Failure& f = d.require_failure(Reason::auth_failed, "auth");
  CHECK(f.message == "AUTH OAUTHBEARER failed; the server's status: invalid_token");
  for (const TranscriptLine& line : d.client().transcript().lines())
    CHECK(line.text.find("T0ken-S3ntinel") == std::string::npos);
}

TEST_CASE("SMTP AUTH XOAUTH2 when OAUTHBEARER is not offered", "[sasl][smtp]") {
  Config cfg = implicit_tls();
  cfg.auth = mc::proto::sasl::Credentials{std::string(kUser), "T0ken-S3ntinel", true};
  Dialogue d(cfg);
  const std::string ir =
      "user=probe@example.test\x01"
      "auth=Bearer T0ken-S3ntinel\x01\x01";
  d.play(concat({{{"banner", "", kBanner},
                  {"ehlo", kEhlo, "250-mx\r\n250 AUTH PLAIN XOAUTH2\r\n"},
                  {"auth", "AUTH XOAUTH2 " + base64_encode(ir) + "\r\n", "235 2.7.0 Accepted\r\n"}},
                 transaction()}));
  d.require_success();
  CHECK(d.client().outcome().auth_mechanism == "XOAUTH2");
}
