// The POP3 client in scripted dialogues (the test plays a Dovecot-like server): every reply path,
// -ERR at each stage, multi-line parsing, STLS and implicit TLS, AUTH PLAIN and USER/PASS, the
// probe found and deleted, and a connection dropped before QUIT's +OK deleting nothing.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/unit/pop3_dialogue.hpp"

using namespace pop3_dialogue;

namespace {

const std::string kGreeting = "+OK Dovecot (Debian) ready.\r\n";
const std::string kCapaPlain =
    "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\n"
    "SASL\r\n.\r\n";
const std::string kCapaTls =
    "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n";

std::string probe_header(const std::string& token) {
  return "+OK\r\nReturn-Path: <probe@example.test>\r\n"
         "Received: from mail.example.test\r\n\tby mail.example.test with LMTP; "
         "Tue, 01 Dec 2026 18:00:05 +0000\r\n"
         "X-Mailcanary-Token: " +
         token + "\r\nSubject: probe\r\n\r\n.\r\n";
}
const std::string kOtherHeader = "+OK\r\nSubject: hello\r\nFrom: a@example.test\r\n\r\n.\r\n";

// Greeting, CAPA, STLS, CAPA again, AUTH PLAIN: logged in, UIDL next.
Dialogue& login(Dialogue& d) {
  return d.S(kGreeting)
      .C("CAPA", "capability")
      .S(kCapaPlain)
      .C("STLS", "starttls")
      .S("+OK Begin TLS negotiation now.\r\n")
      .tls()
      .C("CAPA", "capability")
      .S(kCapaTls)
      .C("AUTH PLAIN " + kPlain, "login")
      .S("+OK Logged in.\r\n");
}

}  // namespace

TEST_CASE("pop3 find: STLS, AUTH PLAIN, UIDL, TOP newest first until the token, QUIT",
          "[pop3][client]") {
  Dialogue d(config());
  login(d)
      .C("UIDL", "search")
      .S("+OK\r\n1 00000001a\r\n2 00000002a\r\n3 00000003a\r\n.\r\n")
      .C("TOP 3 0", "fetch")
      .S(kOtherHeader)
      .C("TOP 2 0", "fetch")
      .S(probe_header(kToken))
      .C("QUIT", "quit")
      .S("+OK Logging out.\r\n");
  d.succeeded();
  d.no_secret();
  const auto& o = d.client.outcome();
  CHECK(o.tls);
  CHECK(o.login_with == "PLAIN");
  CHECK(o.messages == 3);
  CHECK(o.found_uid == "00000002a");
  CHECK(o.found_number == 2);
  CHECK(o.looked_at == std::vector<std::string>{"00000003a"});
  CHECK(o.tops == 2);
  CHECK(o.headers.find("X-Mailcanary-Token: " + kToken) != std::string::npos);
  CHECK_FALSE(o.dele_accepted);
}

TEST_CASE("pop3 find skips what earlier rounds read, and finds nothing in an empty maildrop",
          "[pop3][client]") {
  Config c = config();
  c.skip_uids = {"00000001a", "00000002a"};
  Dialogue d(c);
  login(d).C("UIDL").S("+OK\r\n1 00000001a\r\n2 00000002a\r\n.\r\n").C("QUIT").S("+OK\r\n");
  d.succeeded();
  CHECK(d.client.outcome().found_uid.empty());
  CHECK(d.client.outcome().tops == 0);

  Dialogue e(config());
  login(e).C("UIDL").S("+OK\r\n.\r\n").C("QUIT").S("+OK\r\n");
  e.succeeded();
  CHECK(e.client.outcome().messages == 0);
}

TEST_CASE("pop3 implicit TLS, USER and PASS where no SASL PLAIN is offered", "[pop3][client]") {
  Config c = config();
  c.implicit_tls = true;
  Dialogue d(c);
  d.S(kGreeting)
      .C("CAPA")
      .S("+OK\r\nTOP\r\nUSER\r\nUIDL\r\n.\r\n")
      .C("USER " + kUser, "login")
      .S("+OK\r\n")
      .C("PASS " + kSentinel, "login")
      .S("+OK Logged in.\r\n")
      .C("UIDL")
      .S("+OK\r\n1 a\r\n.\r\n")
      .C("TOP 1 0")
      .S(probe_header(kToken))
      .C("QUIT")
      .S("+OK\r\n");
  d.succeeded();
  d.no_secret();
  CHECK(d.client.outcome().login_with == "USER");
  // The user name goes out, but the transcript shows neither it nor the password.
  for (const auto& l : d.client.transcript().lines())
    CHECK(l.text.find(kUser) == std::string::npos);
}

TEST_CASE("pop3 an RFC 1939 server without CAPA takes USER and PASS", "[pop3][client]") {
  Config c = config();
  c.implicit_tls = true;
  Dialogue d(c);
  d.S("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n")
      .C("CAPA")
      .S("-ERR unknown command\r\n")
      .C("USER " + kUser)
      .S("+OK\r\n")
      .C("PASS " + kSentinel)
      .S("+OK\r\n")
      .C("UIDL")
      .S("+OK\r\n.\r\n")
      .C("QUIT")
      .S("+OK\r\n");
  d.succeeded();
}

TEST_CASE("pop3 -ERR at each stage of the login", "[pop3][client]") {
  SECTION("greeting") {
    Dialogue d(config());
    d.S("-ERR [SYS/TEMP] too many connections\r\n");
    d.failed(Reason::rejected, "greeting");
    CHECK(d.last.failure->reply->enhanced == "SYS/TEMP");
    CHECK(d.last.failure->reply->status == "-ERR");
  }
  SECTION("STLS refused") {
    Dialogue d(config());
    d.S(kGreeting).C("CAPA").S(kCapaPlain).C("STLS").S("-ERR TLS not available\r\n");
    d.failed(Reason::starttls_unavailable, "starttls");
  }
  SECTION("STLS not offered, required") {
    Dialogue d(config());
    d.S(kGreeting).C("CAPA").S("+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n");
    d.failed(Reason::starttls_unavailable, "starttls");
  }
  SECTION("STLS not offered, optional: no password in clear unless allowed") {
    Config c = config();
    c.starttls = StartTls::optional;
    Dialogue d(c);
    d.S(kGreeting).C("CAPA").S("+OK\r\nUSER\r\n.\r\n");
    d.failed(Reason::starttls_unavailable, "starttls");
    CHECK(d.last.failure->message.find("allow_plaintext_auth") != std::string::npos);
  }
  SECTION("optional and allowed in clear") {
    Config c = config();
    c.starttls = StartTls::optional;
    c.allow_plaintext_auth = true;
    Dialogue d(c);
    d.S(kGreeting).C("CAPA").S("+OK\r\nUSER\r\n.\r\n").C("USER " + kUser).S("+OK\r\n");
    d.C("PASS " + kSentinel).S("+OK\r\n").C("UIDL");
    CHECK(d.client.outcome().plaintext_auth);
  }
  SECTION("wrong password, AUTH") {
    Dialogue d(config());
    d.S(kGreeting).C("CAPA").S(kCapaPlain).C("STLS").S("+OK\r\n").tls().C("CAPA").S(kCapaTls);
    d.C("AUTH PLAIN " + kPlain).S("-ERR [AUTH] Authentication failed.\r\n");
    d.failed(Reason::auth_failed, "login");
    CHECK(d.last.failure->reply->enhanced == "AUTH");
    d.no_secret();
  }
  SECTION("wrong password, PASS") {
    Config c = config();
    c.implicit_tls = true;
    Dialogue d(c);
    d.S(kGreeting).C("CAPA").S("+OK\r\nUSER\r\n.\r\n").C("USER " + kUser).S("+OK\r\n");
    d.C("PASS " + kSentinel).S("-ERR [AUTH] Authentication failed: " + kSentinel + "\r\n");
    d.failed(Reason::auth_failed, "login");
    d.no_secret();  // even the server echoing it is redacted
  }
  SECTION("an AUTH challenge PLAIN does not expect breaks the protocol") {
    Dialogue e(config());
    e.S(kGreeting).C("CAPA").S(kCapaPlain).C("STLS").S("+OK\r\n").tls().C("CAPA").S(kCapaTls);
    e.C("AUTH PLAIN " + kPlain).S("+ \r\n");
    e.failed(Reason::protocol, "login");
  }
  SECTION("neither USER nor SASL PLAIN") {
    Config c = config();
    c.implicit_tls = true;
    Dialogue d(c);
    d.S(kGreeting).C("CAPA").S("+OK\r\nSASL GSSAPI\r\n.\r\n");
    d.failed(Reason::auth_failed, "login");
  }
  SECTION("data after STLS's +OK is refused (CVE-2021-22947)") {
    Dialogue d(config());
    d.S(kGreeting).C("CAPA").S(kCapaPlain).C("STLS").S("+OK\r\n+OK injected\r\n");
    d.failed(Reason::protocol, "starttls");
  }
}

TEST_CASE("pop3 -ERR and malformed replies after the login", "[pop3][client]") {
  SECTION("UIDL refused") {
    Dialogue d(config());
    login(d).C("UIDL").S("-ERR not supported\r\n");
    d.failed(Reason::rejected, "search");
  }
  SECTION("UIDL malformed") {
    Dialogue d(config());
    login(d).C("UIDL").S("+OK\r\n1\r\n.\r\n");
    d.failed(Reason::protocol, "search");
  }
  SECTION("TOP refused") {
    Dialogue d(config());
    login(d).C("UIDL").S("+OK\r\n1 a\r\n.\r\n").C("TOP 1 0").S("-ERR no such message\r\n");
    d.failed(Reason::rejected, "fetch");
  }
  SECTION("neither +OK nor -ERR") {
    Dialogue d(config());
    login(d).C("UIDL").S("* OK what\r\n");
    d.failed(Reason::protocol, "search");
  }
  SECTION("a continuation outside AUTH") {
    Dialogue d(config());
    login(d).C("UIDL").S("+ go on\r\n");
    d.failed(Reason::protocol, "search");
  }
  SECTION("closed mid-listing") {
    Dialogue d(config());
    login(d).C("UIDL").S("+OK\r\n1 a\r\n");
    d.last = d.client.on_input("");
    d.failed(Reason::disconnected, "search");
  }
  SECTION("closed during QUIT of a find: the look was complete") {
    Dialogue d(config());
    login(d).C("UIDL").S("+OK\r\n.\r\n").C("QUIT");
    d.last = d.client.on_input("");
    d.succeeded();
  }
  SECTION("the body byte by byte") {
    Dialogue d(config());
    login(d).C("UIDL");
    const std::string bytes = "+OK\r\n1 a\r\n.\r\n";
    for (char ch : bytes) d.S(std::string(1, ch));
    d.C("TOP 1 0");
    const std::string top = probe_header(kToken);
    for (char ch : top) d.S(std::string(1, ch));
    d.C("QUIT").S("+OK\r\n");
    d.succeeded();
    CHECK(d.client.outcome().found_uid == "a");
  }
}

TEST_CASE("pop3 remove: TOP the unique-id found, prove the token, DELE it, QUIT commits",
          "[pop3][client][delete]") {
  Config c = config(Mode::remove);
  c.uid = "00000002a";
  Dialogue d(c);
  login(d)
      .C("UIDL")
      .S("+OK\r\n1 00000001a\r\n2 00000002a\r\n3 00000003a\r\n.\r\n")
      .C("TOP 2 0", "fetch")
      .S(probe_header(kToken))
      .C("DELE 2", "store")
      .S("+OK Marked to be deleted.\r\n")
      .C("QUIT", "quit")
      .S("+OK Logging out, messages deleted.\r\n");
  d.succeeded();
  CHECK(d.client.outcome().dele_accepted);
  CHECK(d.client.outcome().deleted);
}

TEST_CASE("pop3 remove never DELEs a message whose header lacks the token",
          "[pop3][client][delete]") {
  Config c = config(Mode::remove);
  c.uid = "00000002a";
  Dialogue d(c);
  login(d)
      .C("UIDL")
      .S("+OK\r\n1 00000001a\r\n2 00000002a\r\n.\r\n")
      .C("TOP 2 0")
      .S(probe_header("someone-elses-token"))
      .C("QUIT")
      .S("+OK\r\n");
  d.succeeded();
  CHECK(d.client.outcome().found_uid.empty());
  CHECK_FALSE(d.client.outcome().deleted);

  // The unique-id is gone: nothing read, nothing deleted.
  Dialogue e(c);
  login(e).C("UIDL").S("+OK\r\n1 00000001a\r\n.\r\n").C("QUIT").S("+OK\r\n");
  e.succeeded();
  CHECK(e.client.outcome().tops == 0);
  CHECK_FALSE(e.client.outcome().deleted);
}

TEST_CASE("pop3 remove without a unique-id looks for the token (the sweep)",
          "[pop3][client][delete]") {
  Dialogue d(config(Mode::remove));
  login(d)
      .C("UIDL")
      .S("+OK\r\n1 a\r\n2 b\r\n.\r\n")
      .C("TOP 2 0")
      .S(kOtherHeader)
      .C("TOP 1 0")
      .S(probe_header(kToken))
      .C("DELE 1")
      .S("+OK\r\n")
      .C("QUIT")
      .S("+OK\r\n");
  d.succeeded();
  CHECK(d.client.outcome().found_uid == "a");
  CHECK(d.client.outcome().deleted);
}

TEST_CASE("pop3 remove: a session that ends before QUIT's +OK deleted nothing",
          "[pop3][client][delete]") {
  Config c = config(Mode::remove);
  c.uid = "a";
  SECTION("closed before QUIT's answer") {
    Dialogue d(c);
    login(d).C("UIDL").S("+OK\r\n1 a\r\n.\r\n").C("TOP 1 0").S(probe_header(kToken));
    d.C("DELE 1").S("+OK\r\n").C("QUIT");
    d.last = d.client.on_input("");
    d.failed(Reason::disconnected, "quit");
    CHECK(d.last.failure->message.find("not deleted") != std::string::npos);
    CHECK(d.client.outcome().dele_accepted);
    CHECK_FALSE(d.client.outcome().deleted);
  }
  SECTION("closed before DELE's answer") {
    Dialogue d(c);
    login(d).C("UIDL").S("+OK\r\n1 a\r\n.\r\n").C("TOP 1 0").S(probe_header(kToken));
    d.C("DELE 1");
    d.last = d.client.on_input("");
    d.failed(Reason::disconnected, "store");
    CHECK_FALSE(d.client.outcome().deleted);
  }
  SECTION("DELE refused") {
    Dialogue d(c);
    login(d).C("UIDL").S("+OK\r\n1 a\r\n.\r\n").C("TOP 1 0").S(probe_header(kToken));
    d.C("DELE 1").S("-ERR Message is deleted already.\r\n");
    d.failed(Reason::rejected, "store");
  }
  SECTION("QUIT refused in the UPDATE state keeps the message") {
    Dialogue d(c);
    login(d).C("UIDL").S("+OK\r\n1 a\r\n.\r\n").C("TOP 1 0").S(probe_header(kToken));
    d.C("DELE 1").S("+OK\r\n").C("QUIT").S("-ERR some deleted messages not removed\r\n");
    d.failed(Reason::rejected, "quit");
    CHECK_FALSE(d.client.outcome().deleted);
  }
}
