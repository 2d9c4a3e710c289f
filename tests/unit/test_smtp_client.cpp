// The SMTP client from scripted dialogues: every byte the client writes is checked exactly, for
// every kind of session, through STARTTLS and AUTH, and AUTH in clear only where the file allows.
#include <catch2/catch.hpp>

#include <cctype>
#include <string>
#include <vector>

#include "tests/unit/smtp_dialogue.hpp"

using namespace smtp_dialogue;

// ---------------------------------------------------------------- complete sessions

TEST_CASE("submission with STARTTLS and AUTH PLAIN", "[smtp]") {
  Dialogue d(submission());
  d.play(submission_script());
  d.require_success();

  const Outcome& o = d.client().outcome();
  CHECK(o.tls);
  CHECK(o.queue_id == "72DC6A72182");
  REQUIRE(o.final_reply);
  CHECK(o.final_reply->code == 250);
  CHECK(o.final_reply->enhanced == "2.0.0");
  CHECK(o.final_reply->text == "Ok: queued as 72DC6A72182");
  CHECK(o.capabilities ==
        std::vector<std::string>{"SIZE 10240000", "AUTH PLAIN LOGIN", "8BITMIME"});

  CHECK(d.client_lines() ==
        std::vector<std::string>{"EHLO probe.example", "STARTTLS", "EHLO probe.example",
                                 "AUTH PLAIN <redacted>", "MAIL FROM:<probe@example.test>",
                                 "RCPT TO:<probe@example.test>", "DATA", "QUIT"});
  CHECK(d.transcript_has(Dir::note, "<message: 28 bytes>"));
  CHECK(d.transcript_has(Dir::server, "250 STARTTLS"));
  CHECK(d.transcript_has(Dir::server, "250 2.0.0 Ok: queued as 72DC6A72182"));
}

TEST_CASE("every session works with the server's bytes arriving one at a time", "[smtp]") {
  for (const Flow& flow : all_flows()) {
    INFO(flow.name);
    Dialogue d(flow.cfg);
    d.play(flow.script, kAll, 1);
    d.require_success();
    CHECK(d.client().outcome().queue_id == "72DC6A72182");
  }
}

TEST_CASE("AUTH LOGIN sends user and secret in base64 and records neither", "[smtp]") {
  Dialogue d(login_submission());
  d.play(login_script());
  d.require_success();
  const std::vector<std::string> lines = d.client_lines();
  REQUIRE(lines.size() == 10);
  CHECK(lines[3] == "AUTH LOGIN");
  CHECK(lines[4] == "<redacted>");
  CHECK(lines[5] == "<redacted>");
  CHECK(d.transcript_has(Dir::server, "334 VXNlcm5hbWU6"));
}

TEST_CASE("AUTH automatic takes LOGIN when PLAIN is not offered", "[smtp]") {
  Script script = concat({opening_with_starttls(), login_auth(), transaction()});
  script[4].server = "250-mail.example.test\r\n250 AUTH LOGIN CRAM-MD5\r\n";
  Dialogue d(submission());
  d.play(script);
  d.require_success();
}

TEST_CASE("AUTH reads the pre-standard AUTH= keyword", "[smtp]") {
  Script script = concat({opening_with_starttls(), login_auth(), transaction()});
  script[4].server = "250-mail.example.test\r\n250 AUTH=LOGIN\r\n";
  Dialogue d(submission());
  d.play(script);
  d.require_success();
}

TEST_CASE("implicit TLS never sends STARTTLS", "[smtp]") {
  Script script = implicit_tls_script();
  script[1].server = "250-mail.example.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n";
  Dialogue d(implicit_tls());
  d.play(script);
  d.require_success();
  CHECK(d.client().outcome().tls);
}

TEST_CASE("MX delivery: no AUTH, STARTTLS optional and not offered", "[smtp]") {
  Dialogue d(mx_delivery());
  d.play(mx_script());
  d.require_success();
  CHECK_FALSE(d.client().outcome().tls);
  CHECK(d.note_contains("STARTTLS not offered"));
  for (const std::string& line : d.client_lines()) CHECK(line.rfind("AUTH", 0) != 0);
}

TEST_CASE("STARTTLS optional is used when offered", "[smtp]") {
  Config cfg = mx_delivery();
  Script script = concat({opening_with_starttls(), transaction()});
  Dialogue d(cfg);
  d.play(script);
  d.require_success();
  CHECK(d.client().outcome().tls);
}

TEST_CASE("STARTTLS off is never sent, even when offered", "[smtp]") {
  Config cfg = mx_delivery();
  cfg.starttls = StartTls::off;
  Script script =
      concat({{{"banner", "", kBanner}, {"ehlo", kEhlo, kEhloWithStarttls}}, transaction()});
  Dialogue d(cfg);
  d.play(script);
  d.require_success();
  CHECK_FALSE(d.client().outcome().tls);
}

TEST_CASE("a multi-line 220- greeting is read whole", "[smtp]") {
  Script script = submission_script();
  script[0].server = "220-mail.example.test ESMTP\r\n220-postscreen says hi\r\n220 ready\r\n";
  Dialogue d(submission());
  d.play(script);
  d.require_success();
}

TEST_CASE("250 STARTTLS as the last EHLO line is seen", "[smtp]") {
  Script script = submission_script();
  script[1].server = "250-mail.example.test\r\n250-SIZE 1000\r\n250 starttls\r\n";
  Dialogue d(submission());
  d.play(script, 2);
  CHECK(d.client().outcome().capabilities == std::vector<std::string>{"SIZE 1000", "STARTTLS"});
  d.client_writes("starttls", "STARTTLS\r\n");
}

TEST_CASE("capabilities are forgotten after STARTTLS and read again", "[smtp]") {
  Script script = submission_script();
  script[1].server = "250-mail.example.test\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n";
  script[4].server = "250-mail.example.test\r\n250 SIZE 1000\r\n";
  Dialogue d(submission());
  d.play(script, 3);
  d.client_starts_tls();
  CHECK(d.client().outcome().capabilities.empty());
  d.client_writes("ehlo_tls", kEhlo);
  d.server_sends("ehlo_tls", script[4].server);
  const Failure& f = d.require_failure(Reason::auth_failed, "auth");
  CHECK(f.message.find("offered: none") != std::string::npos);
}

TEST_CASE("several recipients each get RCPT TO in phase rcpt_to", "[smtp]") {
  Config cfg = submission();
  cfg.rcpt_to = {"a@example.test", "b@example.test", "c@example.test"};
  Script script = concat({opening_with_starttls(),
                          {plain_auth()},
                          transaction({"a@example.test", "b@example.test", "c@example.test"})});
  Dialogue d(cfg);
  d.play(script);
  d.require_success();

  Dialogue rejected(cfg);
  rejected.play(script, 8);  // MAIL FROM and the first RCPT TO done
  rejected.client_writes("rcpt_to", "RCPT TO:<b@example.test>\r\n");
  rejected.server_sends("rcpt_to", "550 5.1.1 <b@example.test>: User unknown\r\n");
  const Failure& f = rejected.require_failure(Reason::rejected, "rcpt_to");
  CHECK(f.message == "RCPT TO:<b@example.test> rejected");
  REQUIRE(f.reply);
  CHECK(f.reply->text == "<b@example.test>: User unknown");
}

TEST_CASE("251 to RCPT TO is accepted", "[smtp]") {
  Script script = mx_script();
  script[3].server = "251 2.1.5 User not local; will forward\r\n";
  Dialogue d(mx_delivery());
  d.play(script);
  d.require_success();
}

TEST_CASE("the message is dot-stuffed and CRLF-normalised on the wire", "[smtp]") {
  Config cfg = mx_delivery();
  cfg.message = "Subject: dots\n\n.hidden\nline\n.\nlast";
  Script script = mx_script();
  script[5].client = "Subject: dots\r\n\r\n..hidden\r\nline\r\n..\r\nlast\r\n.\r\n";
  Dialogue d(cfg);
  d.play(script);
  d.require_success();
  CHECK(d.transcript_has(Dir::note, "<message: 46 bytes>"));
}

TEST_CASE("HELO is the fallback when EHLO is unknown and nothing needs it", "[smtp]") {
  for (std::string_view code : {"500", "502"}) {
    INFO(code);
    Script script = mx_script();
    script[1].server = std::string(code) + " 5.5.1 command unrecognized\r\n";
    script.insert(script.begin() + 2, Turn{"ehlo", "HELO probe.example\r\n", "250 mx\r\n"});
    Dialogue d(mx_delivery());
    d.play(script);
    d.require_success();
    CHECK(d.client().outcome().capabilities.empty());
    CHECK(d.note_contains("HELO"));
  }
}

TEST_CASE("no HELO fallback when STARTTLS or AUTH is needed", "[smtp]") {
  Config needs_tls = mx_delivery();
  needs_tls.starttls = StartTls::required;
  Config needs_auth = implicit_tls();
  for (const Config& cfg : {needs_tls, needs_auth, submission()}) {
    Dialogue d(cfg);
    d.play({{"banner", "", kBanner}, {"ehlo", kEhlo, "502 5.5.2 not implemented\r\n"}});
    const Failure& f = d.require_failure(Reason::rejected, "ehlo");
    CHECK(f.message == "EHLO rejected");
    REQUIRE(f.reply);
    CHECK(f.reply->code == 502);
  }
  // Any other 5xx to EHLO is a refusal, not a hint to try HELO.
  Dialogue d(mx_delivery());
  d.play({{"banner", "", kBanner}, {"ehlo", kEhlo, "554 5.7.1 go away\r\n"}});
  d.require_failure(Reason::rejected, "ehlo");
}

// ---------------------------------------------------------------- STARTTLS

TEST_CASE("STARTTLS required but not offered fails before anything else is sent", "[smtp]") {
  Dialogue d(submission());
  d.play({{"banner", "", kBanner}, {"ehlo", kEhlo, "250-mail.example.test\r\n250 AUTH PLAIN\r\n"}});
  const Failure& f = d.require_failure(Reason::starttls_unavailable, "starttls");
  CHECK(f.message.find("does not offer") != std::string::npos);
  CHECK(d.client_lines() == std::vector<std::string>{"EHLO probe.example"});
}

TEST_CASE("STARTTLS refused keeps the reply", "[smtp]") {
  Script script = submission_script();
  script[2].server = "454 4.7.0 TLS not available due to local problem\r\n";
  Dialogue d(submission());
  d.play(script, 3);
  const Failure& f = d.require_failure(Reason::starttls_unavailable, "starttls");
  REQUIRE(f.reply);
  CHECK(f.reply->code == 454);
  CHECK(f.reply->enhanced == "4.7.0");
  CHECK(f.reply->text == "TLS not available due to local problem");
}

TEST_CASE("bytes after the STARTTLS reply are an injection, never carried into TLS", "[smtp]") {
  for (std::string_view injected : {"250-AUTH PLAIN\r\n", "X", "220 second\r\n"}) {
    INFO("injected: " << injected);
    Script script = submission_script();
    script[2].server = "220 2.0.0 Ready to start TLS\r\n" + std::string(injected);
    Dialogue d(submission());
    d.play(script, 3);
    const Failure& f = d.require_failure(Reason::protocol, "starttls");
    CHECK(f.message == "data received after STARTTLS reply before TLS handshake");
  }
}

// ---------------------------------------------------------------- AUTH

TEST_CASE("AUTH with no usable mechanism lists what the server offered", "[smtp]") {
  struct Case {
    std::optional<mc::proto::sasl::Mechanism> wanted;
    std::string ehlo;
    std::string offered;
  };
  const std::vector<Case> cases = {
      {std::nullopt, "250-mx\r\n250 AUTH CRAM-MD5 XOAUTH2\r\n", "CRAM-MD5 XOAUTH2"},
      {std::nullopt, "250-mx\r\n250 SIZE 1000\r\n", "none"},
      {mc::proto::sasl::Mechanism::plain, "250-mx\r\n250 AUTH LOGIN\r\n", "LOGIN"},
      {mc::proto::sasl::Mechanism::login, "250-mx\r\n250 AUTH PLAIN\r\n", "PLAIN"},
  };
  for (const Case& c : cases) {
    INFO(c.ehlo);
    Config cfg = implicit_tls();
    cfg.auth->mechanism = c.wanted;
    Dialogue d(cfg);
    d.play({{"banner", "", kBanner}, {"ehlo", kEhlo, c.ehlo}});
    const Failure& f = d.require_failure(Reason::auth_failed, "auth");
    CHECK(f.message.find("(offered: " + c.offered + ")") != std::string::npos);
    CHECK_FALSE(f.reply.has_value());
  }
}

TEST_CASE("AUTH explicit LOGIN is used even when PLAIN is offered", "[smtp]") {
  Dialogue d(login_submission());
  d.play(login_script());  // the EHLO after TLS offers PLAIN LOGIN
  d.require_success();
}

TEST_CASE("a server echoing the secret does not get it into the records", "[smtp]") {
  for (std::string_view echo : {kSecret, kSecretB64, kPlainResponse}) {
    Script script = submission_script();
    script[5].server = "535-5.7.8 you sent " + std::string(echo) + "\r\n535 5.7.8 " +
                       std::string(echo) + " is wrong\r\n";
    Dialogue d(submission());
    d.play(script, 6);
    const Failure& f = d.require_failure(Reason::auth_failed, "auth");
    REQUIRE(f.reply);
    CHECK(f.reply->text == "you sent <redacted>\n<redacted> is wrong");
    CHECK(d.transcript_has(Dir::server, "535 5.7.8 <redacted> is wrong"));
  }
}

TEST_CASE("a server line that starts with the secret is a protocol failure, redacted", "[smtp]") {
  for (std::string_view echo : {kSecret, kSecretB64, kPlainResponse}) {
    Script script = submission_script();
    script[5].server = std::string(echo) + "\r\n";
    Dialogue d(submission());
    d.play(script, 6);
    const Failure& f = d.require_failure(Reason::protocol, "auth");
    CHECK(f.message.find("<redacted>") != std::string::npos);
    CHECK(d.transcript_has(Dir::server, "<redacted>"));
  }
}

TEST_CASE("a secret echoed in capitals is redacted too", "[smtp]") {
  std::string shouted(kSecret);
  for (char& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Script script = submission_script();
  script[5].server = "535 5.7.8 " + shouted + " is wrong\r\n";
  Dialogue d(submission());
  d.play(script, 6);
  const Failure& f = d.require_failure(Reason::auth_failed, "auth");
  REQUIRE(f.reply);
  CHECK(f.reply->text == "<redacted> is wrong");
}

// ---------------------------------------------------------------- AUTH without TLS

TEST_CASE("no AUTH in clear: STARTTLS optional and not offered fails before AUTH", "[smtp]") {
  Config cfg = submission();
  cfg.starttls = StartTls::optional;
  Dialogue d(cfg);
  d.play({{"banner", "", kBanner}, {"ehlo", kEhlo, kEhloWithAuth}});
  const Failure& f = d.require_failure(Reason::starttls_unavailable, "starttls");
  CHECK(f.message.find("was not offered") != std::string::npos);
  CHECK(f.message.find("allow_plaintext_auth") != std::string::npos);
  CHECK(f.message.find("to allow AUTH PLAIN in clear") != std::string::npos);  // as chosen
  CHECK(d.client_lines() == std::vector<std::string>{"EHLO probe.example"});
  CHECK_FALSE(d.client().outcome().plaintext_auth);
}

TEST_CASE("no AUTH in clear: STARTTLS off with an account fails before AUTH", "[smtp]") {
  Config cfg = submission();
  cfg.starttls = StartTls::off;
  Dialogue d(cfg);
  d.play({{"banner", "", kBanner}, {"ehlo", kEhlo, kEhloWithAuth}});
  const Failure& f = d.require_failure(Reason::starttls_unavailable, "starttls");
  CHECK(f.message.find("is off") != std::string::npos);
  CHECK(d.client_lines() == std::vector<std::string>{"EHLO probe.example"});
}

TEST_CASE("allow_plaintext_auth lets AUTH go in clear, and the outcome says so", "[smtp]") {
  Config cfg = submission();
  cfg.starttls = StartTls::optional;
  cfg.allow_plaintext_auth = true;
  Dialogue d(cfg);
  d.play(concat(
      {{{"banner", "", kBanner}, {"ehlo", kEhlo, kEhloWithAuth}, plain_auth()}, transaction()}));
  d.require_success();
  CHECK_FALSE(d.client().outcome().tls);
  CHECK(d.client().outcome().plaintext_auth);
  CHECK(d.note_contains("without TLS"));
}

TEST_CASE("allow_plaintext_auth changes nothing where TLS is up", "[smtp]") {
  Config cfg = submission();
  cfg.allow_plaintext_auth = true;
  Dialogue d(cfg);
  d.play(submission_script());
  d.require_success();
  CHECK_FALSE(d.client().outcome().plaintext_auth);
}
