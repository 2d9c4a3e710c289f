// IMAP AUTHENTICATE with the SASL mechanisms, from scripted dialogues: SCRAM-SHA-256 preferred
// where offered (with and without SASL-IR), the server's signature checked, OAUTHBEARER's error
// challenge, the account's mechanism, and LOGIN kept where nothing better is offered.
#include <catch2/catch.hpp>

#include <string>

#include "tests/unit/imap_dialogue.hpp"

using namespace imap_dialogue;
namespace sasl = mc::proto::sasl;

namespace {

const std::string kFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const std::string kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const std::string kFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const std::string kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

Config pencil() {
  Config cfg = implicit();
  cfg.user = "user";
  cfg.secret = "pencil";
  cfg.sasl_nonce = "rOprNGfwEbeRWgbNEkqO";
  return cfg;
}

}  // namespace

TEST_CASE("IMAP AUTHENTICATE SCRAM-SHA-256 with SASL-IR, the server signature checked",
          "[sasl][imap]") {
  const Run run = play(
      pencil(),
      greeting_and_capability("IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=SCRAM-SHA-256") +
          Script{C("a2 AUTHENTICATE SCRAM-SHA-256 " + base64_encode(kFirst) + "\r\n"),
                 S("+ " + base64_encode(kServerFirst) + "\r\n"), C(base64_encode(kFinal) + "\r\n"),
                 S("+ " + base64_encode(kServerFinal) + "\r\n"), C("\r\n"),
                 S("a2 OK Logged in\r\n")} +
          select(3));
  REQUIRE(run.last.kind == Kind::write);
  CHECK(run.last.phase == "search");
  CHECK(transcript_has(*run.client, TranscriptLine::Dir::client,
                       "a2 AUTHENTICATE SCRAM-SHA-256 <redacted>"));
  for (const TranscriptLine& line : run.client->transcript().lines())
    CHECK(line.text.find("pencil") == std::string::npos);
}

TEST_CASE("IMAP AUTHENTICATE SCRAM-SHA-256 without SASL-IR answers the first +", "[sasl][imap]") {
  const Run run = play(
      pencil(),
      greeting_and_capability("IMAP4rev1 AUTH=SCRAM-SHA-256") +
          Script{C("a2 AUTHENTICATE SCRAM-SHA-256\r\n"), S("+ \r\n"),
                 C(base64_encode(kFirst) + "\r\n"), S("+ " + base64_encode(kServerFirst) + "\r\n"),
                 C(base64_encode(kFinal) + "\r\n"), S("+ " + base64_encode(kServerFinal) + "\r\n"),
                 C("\r\n"), S("a2 OK Logged in\r\n")} +
          select(3));
  REQUIRE(run.last.kind == Kind::write);
  CHECK(run.last.phase == "search");
}

TEST_CASE("IMAP SCRAM: a wrong server signature cancels with * and fails as auth_failed",
          "[sasl][imap]") {
  const Run run = play(
      pencil(),
      greeting_and_capability("IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256") +
          Script{C("a2 AUTHENTICATE SCRAM-SHA-256 " + base64_encode(kFirst) + "\r\n"),
                 S("+ " + base64_encode(kServerFirst) + "\r\n"), C(base64_encode(kFinal) + "\r\n"),
                 S("+ " + base64_encode("v=" + base64_encode(std::string(32, 'x'))) + "\r\n"),
                 C("*\r\n"), S("a2 BAD Authentication aborted by client.\r\n")});
  expect_failure(run, Reason::auth_failed, "login");
  CHECK(run.last.failure->message.find("server could not prove it knows the password") !=
        std::string::npos);
}

TEST_CASE("IMAP SCRAM: OK without the server's signature is auth_failed", "[sasl][imap]") {
  const Run run = play(
      pencil(), greeting_and_capability("IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256") +
                    Script{C("a2 AUTHENTICATE SCRAM-SHA-256 " + base64_encode(kFirst) + "\r\n"),
                           S("+ " + base64_encode(kServerFirst) + "\r\n"),
                           C(base64_encode(kFinal) + "\r\n"), S("a2 OK Logged in\r\n")});
  expect_failure(run, Reason::auth_failed, "login");
}

TEST_CASE("IMAP OAUTHBEARER: the error challenge gets %x01 and the status is reported",
          "[sasl][imap]") {
  Config cfg = implicit();
  cfg.secret = "T0ken-S3ntinel";
  cfg.secret_is_token = true;
  const std::string ir = "n,a=" + kUser + ",\x01" + "auth=Bearer T0ken-S3ntinel\x01\x01";
  const Run run = play(
      cfg, greeting_and_capability("IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER") +
               Script{C("a2 AUTHENTICATE OAUTHBEARER " + base64_encode(ir) + "\r\n"),
                      S("+ " + base64_encode(R"({"status":"invalid_token"})") + "\r\n"),
                      C("AQ==\r\n"), S("a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")});
  expect_failure(run, Reason::auth_failed, "login");
  CHECK(run.last.failure->message ==
        "AUTHENTICATE OAUTHBEARER failed; the server's status: invalid_token");
  expect_no_secret(run.client->transcript(), run.last, cfg.user, cfg.secret);
}

TEST_CASE("IMAP: the account's mechanism; LOGIN stays where no SCRAM is offered", "[sasl][imap]") {
  SECTION("no SCRAM offered: the LOGIN command as ever") {
    const Run run =
        play(implicit(), greeting_and_capability("IMAP4rev1 AUTH=PLAIN") + login(2) + select(3));
    CHECK(run.last.phase == "search");
  }
  SECTION("\"plain\" named: AUTHENTICATE PLAIN although LOGIN is allowed") {
    Config cfg = implicit();
    cfg.mechanism = sasl::Mechanism::plain;
    const std::string blob = base64_encode(std::string(1, '\0') + kUser + '\0' + kSentinel);
    const Run run = play(
        cfg, greeting_and_capability("IMAP4rev1 SASL-IR AUTH=PLAIN") +
                 Script{C("a2 AUTHENTICATE PLAIN " + blob + "\r\n"), S("a2 OK Logged in\r\n")} +
                 select(3));
    CHECK(run.last.phase == "search");
  }
  SECTION("\"scram-sha-256\" named but not offered") {
    Config cfg = implicit();
    cfg.mechanism = sasl::Mechanism::scram_sha_256;
    const Run run = play(cfg, greeting_and_capability("IMAP4rev1 AUTH=PLAIN"));
    expect_failure(run, Reason::auth_failed, "login");
    CHECK(run.last.failure->message == "offers no AUTH=SCRAM-SHA-256 (offered: PLAIN)");
  }
  SECTION("\"login\" named, AUTH=LOGIN not offered: the LOGIN command") {
    Config cfg = implicit();
    cfg.mechanism = sasl::Mechanism::login;
    const Run run =
        play(cfg, greeting_and_capability("IMAP4rev1 AUTH=PLAIN") + login(2) + select(3));
    CHECK(run.last.phase == "search");
  }
}

TEST_CASE("IMAP without TLS: the refusal names the mechanism chosen", "[sasl][imap]") {
  Config cfg = pencil();
  cfg.implicit_tls = false;
  cfg.starttls = mc::proto::StartTls::optional;
  const Run run = play(cfg, greeting_and_capability("IMAP4rev1 AUTH=PLAIN AUTH=SCRAM-SHA-256"));
  expect_failure(run, Reason::starttls_unavailable, "starttls");
  CHECK(run.last.failure->message.find("to allow AUTHENTICATE SCRAM-SHA-256 in clear") !=
        std::string::npos);
}
