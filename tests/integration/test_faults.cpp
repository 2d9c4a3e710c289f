// Integration: the mailcanary binary against scripted fake servers on 127.0.0.1, for every fault
// a real server will not show on demand. Each case checks the exit code and the failure's step,
// phase and reason from the result document, and where it matters the exact bytes sent.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/fake_server.hpp"
#include "tests/support/run_binary.hpp"

namespace fs = std::filesystem;
using mc::test::Conn;
using mc::test::FakeServer;
using nlohmann::json;

namespace {

const std::string kSentinel = "sentinel-fake-pw-51c0";

struct Outcome {
  mc::test::Ran ran;
  json result;
  const json& failure() const { return result["scenarios"][0]["failure"]; }
};

// Runs one scenario of `steps` against the given servers (name -> JSON server object).
Outcome run(const json& servers, const json& steps, const json& defaults = json::object(),
            std::vector<std::string> extra = {}) {
  const std::string dir = mc::test::make_temp_dir("mc-faults");
  const json file = {
      {"version", 1},
      {"vantage", "test"},
      {"defaults", defaults},
      {"servers", servers},
      {"accounts",
       {{"probe", {{"user", "probe@example.test"}, {"password", {{"env", "MC_FAKE_PW"}}}}}}},
      {"scenarios", json::array({{{"name", "fault"}, {"timeout", "20s"}, {"steps", steps}}})}};
  mc::test::write_file(dir + "/s.json", file.dump(2));
  std::vector<std::string> args = {"run",           dir + "/s.json", "--json",
                                   dir + "/r.json", "--state-dir",   dir + "/state"};
  args.insert(args.end(), extra.begin(), extra.end());
  Outcome o;
  o.ran = mc::test::run_program(MAILCANARY_BIN, args, {{"MC_FAKE_PW", kSentinel}}, 60);
  if (fs::exists(dir + "/r.json")) o.result = json::parse(mc::test::read_file(dir + "/r.json"));
  fs::remove_all(dir);
  return o;
}

json smtp_server(int port, const char* starttls = "off") {
  return {{"url", "smtp://127.0.0.1:" + std::to_string(port)}, {"starttls", starttls}};
}

// smtp.send to an MX (no AUTH, no TLS), its step timeout short so that hangs end quickly.
json mx_send(const char* timeout = "2s") {
  return json::array({{{"step", "smtp.send"},
                       {"server", "out"},
                       {"from", "probe@example.test"},
                       {"to", {"probe@example.test"}},
                       {"timeout", timeout}}});
}

void check_failure(const Outcome& o, const char* step, const char* phase, const char* reason) {
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 2);
  REQUIRE(o.result.is_object());
  CHECK(o.result["status"] == "critical");
  CHECK(o.failure()["step"] == step);
  CHECK(o.failure()["phase"] == phase);
  CHECK(o.failure()["reason"] == reason);
}

// A small IMAP server: answers each command of mailcanary's dialogue. `hit` is the UID found by
// the token search (0: never found); UID 3 is the user's own message, flagged \Deleted.
struct FakeImap {
  bool uidplus = true;
  unsigned hit = 7;
  std::string token;  // taken from the client's search

  void serve(Conn& c) {
    const std::string caps = std::string("IMAP4rev1 AUTH=PLAIN") + (uidplus ? " UIDPLUS" : "");
    c.send("* OK [CAPABILITY " + caps + "] fake ready\r\n");
    while (auto l = c.line()) {
      const auto sp = l->find(' ');
      if (sp == std::string::npos) return;
      const std::string tag = l->substr(0, sp);
      const std::string cmd = l->substr(sp + 1);
      auto starts = [&](const char* p) { return cmd.rfind(p, 0) == 0; };
      if (starts("CAPABILITY")) {
        c.send("* CAPABILITY " + caps + "\r\n" + tag + " OK done\r\n");
      } else if (starts("LOGIN") || starts("AUTHENTICATE")) {
        c.send(tag + " OK logged in\r\n");
      } else if (starts("SELECT")) {
        c.send("* 3 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n" + tag + " OK [READ-WRITE] done\r\n");
      } else if ((starts("UID SEARCH") &&
                  cmd.find("HEADER X-Mailcanary-Token") != std::string::npos)) {
        token = cmd.substr(cmd.rfind(' ') + 1);
        if (!token.empty() && token.front() == '"') token = token.substr(1, token.size() - 2);
        c.send(std::string("* SEARCH") + (hit ? " " + std::to_string(hit) : "") + "\r\n" + tag +
               " OK done\r\n");
      } else if (starts("UID SEARCH DELETED")) {
        c.send("* SEARCH 3 " + std::to_string(hit) + "\r\n" + tag + " OK done\r\n");
      } else if (starts("UID FETCH")) {
        const std::string header = "X-Mailcanary-Token: " + token + "\r\nSubject: probe\r\n\r\n";
        c.send("* 3 FETCH (UID " + std::to_string(hit) + " BODY[HEADER] {" +
               std::to_string(header.size()) + "}\r\n" + header + ")\r\n" + tag + " OK done\r\n");
      } else if (starts("UID STORE") || starts("UID EXPUNGE") || starts("EXPUNGE")) {
        c.send(tag + " OK done\r\n");
      } else if (starts("LOGOUT")) {
        c.send("* BYE bye\r\n" + tag + " OK done\r\n");
        return;
      } else {
        c.send(tag + " BAD unknown\r\n");
      }
    }
  }
};

// Plain IMAP with a password: only because the file says so for this server.
json imap_server(int port) {
  return {{"url", "imap://127.0.0.1:" + std::to_string(port)},
          {"starttls", "off"},
          {"allow_plaintext_auth", true}};
}

json imap_steps(const char* wait_timeout = "5s") {
  return json::array({{{"step", "smtp.send"},
                       {"server", "out"},
                       {"from", "probe@example.test"},
                       {"to", {"probe@example.test"}}},
                      {{"step", "imap.wait"},
                       {"server", "store"},
                       {"account", "probe"},
                       {"timeout", wait_timeout},
                       {"poll_interval", "100ms"}},
                      {{"step", "imap.delete"}}});
}

// The same, with the delete in a session of its own, so that its commands are the second
// connection's alone.
json imap_steps_own_delete() {
  json steps = imap_steps();
  steps[2]["session"] = "new";
  return steps;
}

}  // namespace

TEST_CASE("a host name, not an address, is resolved and connected to", "[faults]") {
  FakeServer s([](Conn& c, int) { mc::test::smtp_transaction(c); });
  const Outcome o =
      run({{"out", {{"url", "smtp://localhost:" + std::to_string(s.port())}, {"starttls", "off"}}}},
          mx_send());
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 0);
  const json& st = o.result["scenarios"][0]["steps"][0];
  CHECK(st["phases"][0]["phase"] == "resolve");
  CHECK(st["address"] == "127.0.0.1:" + std::to_string(s.port()));
}

TEST_CASE("a server that accepts and then says nothing: timeout in phase banner", "[faults]") {
  FakeServer s([](Conn& c, int) { c.hang(); });
  const Outcome o = run({{"out", smtp_server(s.port())}}, mx_send("1s"));
  check_failure(o, "smtp.send", "banner", "timeout");
  CHECK(o.failure()["message"] == "no progress before the deadline in phase 'banner'");
}

TEST_CASE(
    "a banner dripped a byte every 100 ms: timeout in phase banner with the reply not complete",
    "[faults]") {
  FakeServer s([](Conn& c, int) { c.drip("220 fake.test ESMTP a banner that never ends", 100); });
  const Outcome o = run({{"out", smtp_server(s.port())}}, mx_send("1s"));
  check_failure(o, "smtp.send", "banner", "timeout");
  const std::string message = o.failure()["message"];
  CHECK(message.rfind("reply not complete before the deadline in phase 'banner' (", 0) == 0);
  CHECK(message.find(" bytes arrived in it)") != std::string::npos);
}

TEST_CASE("the second RCPT never answered: no progress, not a reply that trickled in", "[faults]") {
  FakeServer s([](Conn& c, int) {
    c.send("220 fake ESMTP\r\n");
    c.expect("EHLO");
    c.send("250 fake\r\n");
    c.expect("MAIL FROM");
    c.send("250 ok\r\n");
    c.expect("RCPT TO");
    c.send("250 ok\r\n");
    c.hang(5);
  });
  json steps = mx_send("1s");
  steps[0]["to"] = {"a@example.test", "b@example.test"};
  const Outcome o = run({{"out", smtp_server(s.port())}}, steps);
  check_failure(o, "smtp.send", "rcpt_to", "timeout");
  CHECK(o.failure()["message"] == "no progress before the deadline in phase 'rcpt_to'");
}

TEST_CASE("a server that hangs after EHLO: timeout names phase ehlo", "[faults]") {
  FakeServer s([](Conn& c, int) {
    c.send("220 fake ESMTP\r\n");
    c.expect("EHLO");
    c.hang();
  });
  check_failure(run({{"out", smtp_server(s.port())}}, mx_send("1s")), "smtp.send", "ehlo",
                "timeout");
}

TEST_CASE("garbage instead of a banner: protocol", "[faults]") {
  FakeServer s([](Conn& c, int) {
    c.send("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
    c.hang(5);
  });
  check_failure(run({{"out", smtp_server(s.port())}}, mx_send()), "smtp.send", "banner",
                "protocol");
}

TEST_CASE("an endless line: protocol at the line limit, not a memory blow-up", "[faults]") {
  FakeServer s([](Conn& c, int) {
    c.send("220 " + std::string(64 * 1024, 'x'));
    c.hang(5);
  });
  const Outcome o = run({{"out", smtp_server(s.port())}}, mx_send());
  check_failure(o, "smtp.send", "banner", "protocol");
  CHECK(o.failure()["message"].get<std::string>().find("8192") != std::string::npos);
}

TEST_CASE("a bare LF line ending: protocol", "[faults]") {
  FakeServer s([](Conn& c, int) {
    c.send("220 fake ESMTP\n");
    c.hang(5);
  });
  check_failure(run({{"out", smtp_server(s.port())}}, mx_send()), "smtp.send", "banner",
                "protocol");
}

TEST_CASE("a disconnect after EHLO: disconnected in phase ehlo", "[faults]") {
  FakeServer s([](Conn& c, int) {
    c.send("220 fake ESMTP\r\n");
    c.expect("EHLO");
    c.close();
  });
  check_failure(run({{"out", smtp_server(s.port())}}, mx_send()), "smtp.send", "ehlo",
                "disconnected");
}

TEST_CASE("421 as the banner: rejected with the reply, never a timeout", "[faults]") {
  FakeServer s([](Conn& c, int) {
    c.send("421 4.3.2 Service not available, closing channel\r\n");
    c.close();
  });
  const Outcome o = run({{"out", smtp_server(s.port())}}, mx_send());
  check_failure(o, "smtp.send", "banner", "rejected");
  CHECK(o.failure()["reply"]["code"] == 421);
  CHECK(o.failure()["reply"]["enhanced"] == "4.3.2");
}

TEST_CASE("452 to RCPT TO: rejected in phase rcpt_to with the enhanced code", "[faults]") {
  FakeServer s([](Conn& c, int) {
    c.send("220 fake ESMTP\r\n");
    c.expect("EHLO");
    c.send("250 fake\r\n");
    c.expect("MAIL FROM");
    c.send("250 2.1.0 Ok\r\n");
    c.expect("RCPT TO");
    c.send("452 4.2.2 Mailbox full\r\n");
    c.expect("QUIT");
    c.send("221 Bye\r\n");
  });
  const Outcome o = run({{"out", smtp_server(s.port())}}, mx_send());
  check_failure(o, "smtp.send", "rcpt_to", "rejected");
  CHECK(o.failure()["reply"]["code"] == 452);
  CHECK(o.failure()["reply"]["enhanced"] == "4.2.2");
  CHECK(o.failure()["reply"]["text"] == "Mailbox full");
}

TEST_CASE("a reply in Latin-1, not UTF-8: the result document is still written", "[faults]") {
  FakeServer s([](Conn& c, int) {
    c.send("220 fake ESMTP\r\n");
    c.expect("EHLO");
    c.send("250 fake\r\n");
    c.expect("MAIL FROM");
    c.send("250 Ok\r\n");
    c.expect("RCPT TO");
    c.send("550 5.1.1 Empf\xe4nger unbekannt\r\n");
    c.expect("QUIT");
    c.send("221 Bye\r\n");
  });
  const Outcome o = run({{"out", smtp_server(s.port())}}, mx_send());
  check_failure(o, "smtp.send", "rcpt_to", "rejected");
  CHECK(o.failure()["reply"]["text"] == "Empf\xEF\xBF\xBDnger unbekannt");  // U+FFFD
}

TEST_CASE("554 after the message: rejected in phase message; the bytes sent were CRLF only",
          "[faults]") {
  FakeServer s(
      [](Conn& c, int) { mc::test::smtp_transaction(c, "554 5.7.1 Message refused: spam\r\n"); });
  const Outcome o = run({{"out", smtp_server(s.port())}}, mx_send());
  check_failure(o, "smtp.send", "message", "rejected");
  const std::string sent = s.received().at(0);
  CHECK(sent.find("X-Mailcanary-Token: ") != std::string::npos);
  CHECK(sent.find("\r\n.\r\n") != std::string::npos);
  for (std::size_t i = sent.find('\n'); i != std::string::npos; i = sent.find('\n', i + 1))
    REQUIRE(sent[i - 1] == '\r');
}

TEST_CASE("STARTTLS injection over a real socket: protocol, no handshake attempted", "[faults]") {
  mc::test::TestPki pki(mc::test::make_temp_dir("mc-pki"));
  FakeServer s([](Conn& c, int) {
    c.send("220 fake ESMTP\r\n");
    c.expect("EHLO");
    c.send("250-fake\r\n250 STARTTLS\r\n");
    c.expect("STARTTLS");
    c.send("220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected\r\n");
    c.hang(5);
  });
  const Outcome o = run({{"out", smtp_server(s.port(), "required")}}, mx_send(),
                        {{"tls", {{"ca_file", pki.ca_file()}}}});
  check_failure(o, "smtp.send", "starttls", "protocol");
}

TEST_CASE("an expired certificate: tls_cert_expired in phase tls_handshake", "[faults]") {
  mc::test::TestPki pki(mc::test::make_temp_dir("mc-pki"));
  FakeServer s([&](Conn& c, int) {
    c.start_tls(pki.expired());
    c.hang(5);
  });
  const Outcome o =
      run({{"out", {{"url", "smtps://127.0.0.1:" + std::to_string(s.port())}}}}, mx_send(),
          {{"tls", {{"ca_file", pki.ca_file()}, {"server_name", "localhost"}}}});
  check_failure(o, "smtp.send", "tls_handshake", "tls_cert_expired");
}

TEST_CASE("verify false accepts the expired certificate and says so in the result", "[faults]") {
  mc::test::TestPki pki(mc::test::make_temp_dir("mc-pki"));
  FakeServer s([&](Conn& c, int) {
    c.start_tls(pki.expired());
    mc::test::smtp_transaction(c);
  });
  const Outcome o = run({{"out", {{"url", "smtps://127.0.0.1:" + std::to_string(s.port())}}}},
                        mx_send(), {{"tls", {{"verify", false}}}});
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 0);
  const json& st = o.result["scenarios"][0]["steps"][0];
  CHECK(st["tls"]["verified"] == false);
  CHECK(st["queue_id"] == "FAKE1");
  CHECK(o.ran.err.find("(servers.out): TLS certificate verification is off") != std::string::npos);
  // Not only on stderr: the result document says so too.
  REQUIRE(o.result["warnings"].size() == 1);
  CHECK(o.result["warnings"][0].get<std::string>().find(
            "(servers.out): TLS certificate verification is off (from defaults.tls)") !=
        std::string::npos);
}

TEST_CASE("mail that never arrives: not_delivered after the step's timeout", "[faults]") {
  FakeServer smtp([](Conn& c, int) { mc::test::smtp_transaction(c); });
  FakeImap imap;
  imap.hit = 0;
  FakeServer store([&](Conn& c, int) { imap.serve(c); });
  const Outcome o = run({{"out", smtp_server(smtp.port())}, {"store", imap_server(store.port())}},
                        imap_steps("1s"));
  check_failure(o, "imap.wait", "search", "not_delivered");
  CHECK(o.result["scenarios"][0]["steps"][1]["searches"].get<int>() >= 2);
}

TEST_CASE("without UIDPLUS, a user's \\Deleted message means no EXPUNGE is ever sent", "[faults]") {
  FakeServer smtp([](Conn& c, int) { mc::test::smtp_transaction(c); });
  FakeImap imap;
  imap.uidplus = false;
  FakeServer store([&](Conn& c, int) { imap.serve(c); }, 2);
  const Outcome o = run({{"out", smtp_server(smtp.port())}, {"store", imap_server(store.port())}},
                        imap_steps_own_delete());
  INFO(o.ran.out << o.ran.err);
  const std::string deleting = store.received().at(1);
  CHECK(deleting.find("UID STORE 7 +FLAGS.SILENT (\\Deleted)") != std::string::npos);
  CHECK(deleting.find("EXPUNGE") == std::string::npos);
  CHECK(o.result["scenarios"][0]["steps"][2]["expunge_skipped"] == true);
  // A probe left flagged in the mailbox is no silent OK: WARNING, and said why.
  CHECK(o.ran.exit_code == 1);
  CHECK(o.result["scenarios"][0]["status"] == "warning");
  CHECK(o.result["scenarios"][0]["steps"][2]["status"] == "warning");
  REQUIRE(o.result["warnings"].size() == 2);  // the other one: LOGIN in clear, as allowed
  CHECK(o.result["warnings"][1].get<std::string>().find("did not expunge it") != std::string::npos);
}

TEST_CASE("with UIDPLUS, only the probe's own UID is stored and expunged", "[faults]") {
  FakeServer smtp([](Conn& c, int) { mc::test::smtp_transaction(c); });
  FakeImap imap;
  FakeServer store([&](Conn& c, int) { imap.serve(c); }, 2);
  const Outcome o = run({{"out", smtp_server(smtp.port())}, {"store", imap_server(store.port())}},
                        imap_steps_own_delete());
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 0);
  const std::string deleting = store.received().at(1);
  CHECK(deleting.find("UID STORE 7 +FLAGS.SILENT (\\Deleted)") != std::string::npos);
  CHECK(deleting.find("UID EXPUNGE 7\r\n") != std::string::npos);
  CHECK(deleting.find(" EXPUNGE\r\n") == std::string::npos);
}

TEST_CASE("on the scenario's one session: one LOGIN, then only the probe's UID is expunged",
          "[faults]") {
  FakeServer smtp([](Conn& c, int) { mc::test::smtp_transaction(c); });
  FakeImap imap;
  FakeServer store([&](Conn& c, int) { imap.serve(c); });
  const Outcome o =
      run({{"out", smtp_server(smtp.port())}, {"store", imap_server(store.port())}}, imap_steps());
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 0);
  REQUIRE(store.received().size() == 1);  // wait and delete on one connection
  const std::string session = store.received().at(0);
  CHECK(session.find(" LOGIN ") == session.rfind(" LOGIN "));
  CHECK(session.find("UID STORE 7 +FLAGS.SILENT (\\Deleted)") != std::string::npos);
  CHECK(session.find("UID EXPUNGE 7\r\n") != std::string::npos);
  CHECK(session.find(" EXPUNGE\r\n") == std::string::npos);
  CHECK(session.find(" LOGOUT\r\n") != std::string::npos);
}

TEST_CASE("an IMAP server that hangs on SELECT: timeout names phase select", "[faults]") {
  FakeServer smtp([](Conn& c, int) { mc::test::smtp_transaction(c); });
  FakeServer store([](Conn& c, int) {
    c.send("* OK [CAPABILITY IMAP4rev1] fake\r\n");
    while (auto l = c.line()) {  // every command succeeds until SELECT, which never answers
      if (l->find(" SELECT ") != std::string::npos) break;
      c.send(l->substr(0, l->find(' ')) + " OK done\r\n");
    }
    c.hang();
  });
  const Outcome o = run({{"out", smtp_server(smtp.port())}, {"store", imap_server(store.port())}},
                        imap_steps("1s"));
  check_failure(o, "imap.wait", "select", "timeout");
}

TEST_CASE("the password reaches the fake server but no output of mailcanary", "[faults]") {
  FakeServer smtp([](Conn& c, int) { mc::test::smtp_transaction(c); });
  FakeImap imap;
  FakeServer store([&](Conn& c, int) { imap.serve(c); }, 2);
  const Outcome o = run({{"out", smtp_server(smtp.port())}, {"store", imap_server(store.port())}},
                        imap_steps(), json::object(), {"-v"});
  INFO(o.ran.err);
  CHECK(o.ran.exit_code == 0);
  CHECK(store.received().at(0).find(kSentinel) != std::string::npos);  // it was really used
  CHECK(o.ran.err.find("LOGIN") != std::string::npos);                 // -v showed the dialogue
  CHECK((o.ran.out + o.ran.err + o.result.dump()).find(kSentinel) == std::string::npos);
}
