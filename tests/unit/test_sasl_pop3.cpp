// POP3 AUTH (RFC 5034) with the SASL mechanisms, from scripted dialogues: SCRAM-SHA-256 chosen
// from CAPA's SASL line and replayed from RFC 7677, a wrong server signature, OAUTHBEARER's
// error challenge, XOAUTH2, the account's mechanism, and the plaintext rule taken per method.
#include <catch2/catch.hpp>

#include <string>

#include "tests/unit/pop3_dialogue.hpp"

using namespace pop3_dialogue;
namespace sasl = mc::proto::sasl;
using mc::codec::base64_encode;

namespace {

const std::string kGreet = "+OK Dovecot ready.\r\n";
const std::string kFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const std::string kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const std::string kFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const std::string kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
const std::string kTokenSecret = "T0ken-S3ntinel";

Config pencil() {
  Config c = config();
  c.implicit_tls = true;
  c.user = "user";
  c.secret = "pencil";
  c.sasl_nonce = "rOprNGfwEbeRWgbNEkqO";
  return c;
}

Config bearer() {
  Config c = config();
  c.implicit_tls = true;
  c.secret = kTokenSecret;
  c.secret_is_token = true;
  return c;
}

std::string capa(const std::string& sasl) {
  return "+OK\r\nTOP\r\nUIDL\r\nUSER\r\nSASL " + sasl + "\r\n.\r\n";
}

void never_shows(const Dialogue& d, const std::string& secret) {
  for (const auto& l : d.client.transcript().lines()) {
    INFO(l.text);
    CHECK(l.text.find(secret) == std::string::npos);
    CHECK(l.text.find(base64_encode(secret)) == std::string::npos);
  }
  if (d.last.failure) CHECK(d.last.failure->message.find(secret) == std::string::npos);
}

}  // namespace

TEST_CASE("POP3 AUTH SCRAM-SHA-256 preferred over PLAIN, the server signature checked",
          "[sasl][pop3]") {
  Dialogue d(pencil());
  d.S(kGreet)
      .C("CAPA")
      .S(capa("PLAIN LOGIN SCRAM-SHA-1 SCRAM-SHA-256"))
      .C("AUTH SCRAM-SHA-256 " + base64_encode(kFirst), "login")
      .S("+ " + base64_encode(kServerFirst) + "\r\n")
      .C(base64_encode(kFinal), "login")
      .S("+ " + base64_encode(kServerFinal) + "\r\n")
      .C("", "login")
      .S("+OK Logged in.\r\n")
      .C("UIDL", "search");
  CHECK(d.client.outcome().login_with == "SCRAM-SHA-256");
  never_shows(d, "pencil");
  bool redacted = false;
  for (const auto& l : d.client.transcript().lines())
    redacted = redacted || l.text == "AUTH SCRAM-SHA-256 <redacted>";
  CHECK(redacted);
}

TEST_CASE("POP3 SCRAM: a server that cannot prove it knows the password is auth_failed",
          "[sasl][pop3]") {
  SECTION("a wrong signature: cancelled with *") {
    Dialogue d(pencil());
    d.S(kGreet)
        .C("CAPA")
        .S(capa("SCRAM-SHA-256"))
        .C("AUTH SCRAM-SHA-256 " + base64_encode(kFirst))
        .S("+ " + base64_encode(kServerFirst) + "\r\n")
        .C(base64_encode(kFinal))
        .S("+ " + base64_encode("v=" + base64_encode(std::string(32, 'x'))) + "\r\n")
        .C("*")
        .S("-ERR Authentication aborted\r\n");
    d.failed(Reason::auth_failed, "login");
    CHECK(d.last.failure->message.find("server could not prove it knows the password") !=
          std::string::npos);
    never_shows(d, "pencil");
  }
  SECTION("+OK without the signature") {
    Dialogue d(pencil());
    d.S(kGreet)
        .C("CAPA")
        .S(capa("SCRAM-SHA-256"))
        .C("AUTH SCRAM-SHA-256 " + base64_encode(kFirst))
        .S("+ " + base64_encode(kServerFirst) + "\r\n")
        .C(base64_encode(kFinal))
        .S("+OK Logged in.\r\n");
    d.failed(Reason::auth_failed, "login");
  }
  SECTION("a wrong password: -ERR to the proof") {
    Dialogue d(pencil());
    d.S(kGreet)
        .C("CAPA")
        .S(capa("SCRAM-SHA-256"))
        .C("AUTH SCRAM-SHA-256 " + base64_encode(kFirst))
        .S("+ " + base64_encode(kServerFirst) + "\r\n")
        .C(base64_encode(kFinal))
        .S("-ERR [AUTH] Authentication failed.\r\n");
    d.failed(Reason::auth_failed, "login");
    CHECK(d.last.failure->reply->enhanced == "AUTH");
  }
  SECTION("a challenge that is not base64 cancels") {
    Dialogue d(pencil());
    d.S(kGreet).C("CAPA").S(capa("SCRAM-SHA-256")).C("AUTH SCRAM-SHA-256 " + base64_encode(kFirst));
    d.S("+ not*base64\r\n").C("*").S("-ERR Authentication aborted\r\n");
    d.failed(Reason::auth_failed, "login");
  }
}

TEST_CASE("POP3 OAUTHBEARER and XOAUTH2 with a token", "[sasl][pop3]") {
  const std::string ir = "n,a=" + kUser + ",\x01" + "auth=Bearer " + kTokenSecret + "\x01\x01";
  SECTION("OAUTHBEARER preferred; its error challenge gets %x01, the status is reported") {
    Dialogue d(bearer());
    d.S(kGreet)
        .C("CAPA")
        .S(capa("PLAIN XOAUTH2 OAUTHBEARER"))
        .C("AUTH OAUTHBEARER " + base64_encode(ir))
        .S("+ " + base64_encode(R"({"status":"invalid_token"})") + "\r\n")
        .C("AQ==")
        .S("-ERR [AUTH] Authentication failed.\r\n");
    d.failed(Reason::auth_failed, "login");
    CHECK(d.last.failure->message == "authentication failed; the server's status: invalid_token");
    never_shows(d, kTokenSecret);
  }
  SECTION("XOAUTH2 where only it is offered") {
    Dialogue d(bearer());
    const std::string x = "user=" + kUser + "\x01" + "auth=Bearer " + kTokenSecret + "\x01\x01";
    d.S(kGreet).C("CAPA").S(capa("PLAIN XOAUTH2")).C("AUTH XOAUTH2 " + base64_encode(x));
    d.S("+OK Logged in.\r\n").C("UIDL");
    CHECK(d.client.outcome().login_with == "XOAUTH2");
    never_shows(d, kTokenSecret);
  }
  SECTION("a token never goes through USER/PASS") {
    Dialogue d(bearer());
    d.S(kGreet).C("CAPA").S(capa("PLAIN"));
    d.failed(Reason::auth_failed, "login");
    CHECK(d.last.failure->message ==
          "server offers no SASL OAUTHBEARER or XOAUTH2 (offered: PLAIN)");
  }
}

TEST_CASE("POP3: the account's mechanism, and USER/PASS as the password's fallback",
          "[sasl][pop3]") {
  SECTION("\"login\" named: AUTH LOGIN answering both prompts") {
    Config c = config();
    c.implicit_tls = true;
    c.mechanism = sasl::Mechanism::login;
    Dialogue d(c);
    d.S(kGreet).C("CAPA").S(capa("PLAIN LOGIN SCRAM-SHA-256")).C("AUTH LOGIN");
    d.S("+ " + base64_encode("Username:") + "\r\n").C(base64_encode(kUser));
    d.S("+ " + base64_encode("Password:") + "\r\n").C(base64_encode(kSentinel));
    d.S("+OK Logged in.\r\n").C("UIDL");
    d.no_secret();
  }
  SECTION("\"login\" named, not offered: USER and PASS") {
    Config c = config();
    c.implicit_tls = true;
    c.mechanism = sasl::Mechanism::login;
    Dialogue d(c);
    d.S(kGreet).C("CAPA").S(capa("PLAIN")).C("USER " + kUser);
    CHECK(d.client.outcome().login_with == "USER");
  }
  SECTION("\"scram-sha-256\" named, not offered") {
    Config c = config();
    c.implicit_tls = true;
    c.mechanism = sasl::Mechanism::scram_sha_256;
    Dialogue d(c);
    d.S(kGreet).C("CAPA").S(capa("PLAIN"));
    d.failed(Reason::auth_failed, "login");
    CHECK(d.last.failure->message ==
          "server offers no SASL SCRAM-SHA-256 nor USER (offered: PLAIN)");
  }
}

TEST_CASE("POP3: without TLS the refusal names the method chosen", "[sasl][pop3]") {
  Config c = pencil();
  c.implicit_tls = false;
  c.starttls = StartTls::optional;
  Dialogue d(c);
  d.S(kGreet).C("CAPA").S(capa("PLAIN SCRAM-SHA-256"));
  d.failed(Reason::starttls_unavailable, "starttls");
  CHECK(d.last.failure->message.find("to allow AUTH SCRAM-SHA-256 in clear") != std::string::npos);

  c.allow_plaintext_auth = true;
  Dialogue e(c);
  e.S(kGreet)
      .C("CAPA")
      .S(capa("PLAIN SCRAM-SHA-256"))
      .C("AUTH SCRAM-SHA-256 " + base64_encode(kFirst));
  CHECK(e.client.outcome().plaintext_auth);
}
