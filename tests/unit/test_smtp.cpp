// The SMTP client from scripted dialogues: every byte the client writes is checked exactly, and
// every reply the server can give is injected at every point of the dialogue.
#include "protocols/smtp.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <cstddef>
#include <exception>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace mc::proto;
using namespace mc::proto::smtp;
using Kind = Action::Kind;
using Dir = TranscriptLine::Dir;

constexpr std::string_view kUser = "probe@example.test";
constexpr std::string_view kSecret = "S3ntinel-P4ss!";
// base64("\0probe@example.test\0S3ntinel-P4ss!"), base64(user), base64(secret), computed apart.
constexpr std::string_view kPlainResponse = "AHByb2JlQGV4YW1wbGUudGVzdABTM250aW5lbC1QNHNzIQ==";
constexpr std::string_view kUserB64 = "cHJvYmVAZXhhbXBsZS50ZXN0";
constexpr std::string_view kSecretB64 = "UzNudGluZWwtUDRzcyE=";
constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();

bool mentions_secret(std::string_view s) {
  for (std::string_view form : {kSecret, kSecretB64, kPlainResponse}) {
    if (s.find(form) != std::string_view::npos) return true;
  }
  return false;
}

// One turn of a dialogue: what the client must do, then what the server answers.
struct Turn {
  std::string phase;
  std::string client;  // exact bytes the client writes; empty: nothing (the banner)
  std::string server;  // bytes the server answers; empty: nothing (the TLS handshake)
  bool tls = false;    // the client asks for the TLS handshake instead of writing
};
using Script = std::vector<Turn>;

// Drives a Client like the Asio driver does, without a socket.
class Dialogue {
 public:
  explicit Dialogue(Config cfg) : client_(std::move(cfg)), action_(client_.start()) {}
  Dialogue(const Dialogue&) = delete;
  Dialogue& operator=(const Dialogue&) = delete;
  // Every dialogue of this file proves that the secret never left the machine in a record.
  ~Dialogue() {
    if (std::uncaught_exceptions() == 0) check_no_secret();
  }

  void client_writes(std::string_view phase, std::string_view bytes) {
    REQUIRE(action_.kind == Kind::write);
    CHECK(action_.phase == phase);
    REQUIRE(action_.data == bytes);
    action_ = client_.on_written();
  }
  void client_starts_tls() {
    REQUIRE(action_.kind == Kind::start_tls);
    CHECK(action_.phase == "tls_handshake");
    action_ = client_.on_tls();
  }
  void server_sends(std::string_view phase, std::string_view bytes, std::size_t chunk = kAll) {
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
      REQUIRE(action_.kind == Kind::read);
      CHECK(action_.phase == phase);
      action_ = client_.on_input(bytes.substr(at, chunk));
    }
  }
  void server_closes(std::string_view phase) {
    REQUIRE(action_.kind == Kind::read);
    CHECK(action_.phase == phase);
    action_ = client_.on_input({});
  }

  // The client's side of a turn only: its write or its TLS handshake.
  void client_side(const Turn& t) {
    if (t.tls) {
      client_starts_tls();
    } else if (!t.client.empty()) {
      client_writes(t.phase, t.client);
    }
  }
  void play(const Turn& t, std::size_t chunk = kAll) {
    client_side(t);
    if (!t.server.empty()) server_sends(t.phase, t.server, chunk);
  }
  void play(const Script& script, std::size_t turns = kAll, std::size_t chunk = kAll) {
    for (std::size_t i = 0; i < script.size() && i < turns; ++i) {
      INFO("turn " << i << " (" << script[i].phase << ")");
      play(script[i], chunk);
    }
  }

  void require_success() {
    REQUIRE(action_.kind == Kind::done);
    INFO("failure: " << (action_.failure ? action_.failure->message : ""));
    REQUIRE_FALSE(action_.failure.has_value());
  }
  const Failure& require_failure(Reason reason, std::string_view phase) {
    REQUIRE(action_.kind == Kind::done);
    REQUIRE(action_.failure.has_value());
    INFO("message: " << action_.failure->message);
    CHECK(to_string(action_.failure->reason) == to_string(reason));
    CHECK(action_.failure->phase == phase);
    CHECK(action_.phase == phase);
    return *action_.failure;
  }

  bool transcript_has(Dir dir, std::string_view text) const {
    for (const TranscriptLine& line : client_.transcript().lines()) {
      if (line.dir == dir && line.text == text) return true;
    }
    return false;
  }
  bool note_contains(std::string_view part) const {
    for (const TranscriptLine& line : client_.transcript().lines()) {
      if (line.dir == Dir::note && line.text.find(part) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> client_lines() const {
    std::vector<std::string> out;
    for (const TranscriptLine& line : client_.transcript().lines()) {
      if (line.dir == Dir::client) out.push_back(line.text);
    }
    return out;
  }

  Client& client() { return client_; }
  const Action& action() const { return action_; }

 private:
  void check_no_secret() const {
    for (const TranscriptLine& line : client_.transcript().lines()) {
      INFO("transcript line: " << line.text);
      CHECK_FALSE(mentions_secret(line.text));
    }
    if (action_.failure) {
      CHECK_FALSE(mentions_secret(action_.failure->message));
      if (action_.failure->reply) CHECK_FALSE(mentions_secret(action_.failure->reply->text));
    }
  }

  Client client_;
  Action action_;
};

// ---------------------------------------------------------------- configs and scripts

Config submission() {
  Config c;
  c.ehlo_name = "probe.example";
  c.auth = Credentials{std::string(kUser), std::string(kSecret)};
  c.mail_from = kUser;
  c.rcpt_to = {std::string(kUser)};
  c.message = "Subject: probe\r\n\r\nhello\r\n";
  return c;
}

Config login_submission() {
  Config c = submission();
  c.auth->mechanism = AuthMechanism::login;
  return c;
}

Config implicit_tls() {
  Config c = submission();
  c.implicit_tls = true;
  return c;
}

Config mx_delivery() {
  Config c = submission();
  c.auth.reset();
  c.starttls = StartTls::optional;
  return c;
}

const std::string kBanner = "220 mail.example.test ESMTP Postfix\r\n";
const std::string kEhlo = "EHLO probe.example\r\n";
const std::string kEhloWithStarttls =
    "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n";
const std::string kEhloWithAuth =
    "250-mail.example.test\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n";
const std::string kMessageWire = "Subject: probe\r\n\r\nhello\r\n.\r\n";
const std::string kQueued = "250 2.0.0 Ok: queued as 72DC6A72182\r\n";

Script opening_with_starttls() {
  return {
      {"banner", "", kBanner},
      {"ehlo", kEhlo, kEhloWithStarttls},
      {"starttls", "STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n"},
      {"tls_handshake", "", "", true},
      {"ehlo_tls", kEhlo, kEhloWithAuth},
  };
}

Turn plain_auth() {
  return {"auth", "AUTH PLAIN " + std::string(kPlainResponse) + "\r\n",
          "235 2.7.0 Authentication successful\r\n"};
}

Script login_auth() {
  return {
      {"auth", "AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n"},
      {"auth", std::string(kUserB64) + "\r\n", "334 UGFzc3dvcmQ6\r\n"},
      {"auth", std::string(kSecretB64) + "\r\n", "235 2.7.0 Authentication successful\r\n"},
  };
}

// MAIL FROM to QUIT, the same for every kind of session.
Script transaction(const std::vector<std::string>& rcpts = {std::string(kUser)}) {
  Script s = {{"mail_from", "MAIL FROM:<probe@example.test>\r\n", "250 2.1.0 Ok\r\n"}};
  for (const std::string& r : rcpts)
    s.push_back({"rcpt_to", "RCPT TO:<" + r + ">\r\n", "250 2.1.5 Ok\r\n"});
  s.push_back({"data", "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n"});
  s.push_back({"message", kMessageWire, kQueued});
  s.push_back({"quit", "QUIT\r\n", "221 2.0.0 Bye\r\n"});
  return s;
}

Script concat(std::initializer_list<Script> parts) {
  Script all;
  for (const Script& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

Script submission_script() {
  return concat({opening_with_starttls(), {plain_auth()}, transaction()});
}
Script login_script() {
  return concat({opening_with_starttls(), login_auth(), transaction()});
}
Script implicit_tls_script() {
  return concat(
      {{{"banner", "", kBanner}, {"ehlo", kEhlo, kEhloWithAuth}, plain_auth()}, transaction()});
}
Script mx_script() {
  return concat({{{"banner", "", kBanner},
                  {"ehlo", kEhlo, "250-mx.example.test\r\n250-SIZE 1000\r\n250 8BITMIME\r\n"}},
                 transaction()});
}

struct Flow {
  std::string name;
  Config cfg;
  Script script;
};

std::vector<Flow> all_flows() {
  return {{"submission, STARTTLS, AUTH PLAIN", submission(), submission_script()},
          {"submission, STARTTLS, AUTH LOGIN", login_submission(), login_script()},
          {"implicit TLS", implicit_tls(), implicit_tls_script()},
          {"MX delivery without TLS", mx_delivery(), mx_script()}};
}

// Plays a script up to turn k, then only the client's side of turn k.
void play_until(Dialogue& d, const Script& script, std::size_t k) {
  d.play(script, k);
  d.client_side(script[k]);
}

ServerReply parse(std::initializer_list<std::string_view> lines) {
  ReplyParser p;
  ReplyParser::Status status = ReplyParser::Status::need_more;
  for (std::string_view line : lines) status = p.add_line(line);
  REQUIRE(status == ReplyParser::Status::complete);
  return p.reply();
}

}  // namespace

// ---------------------------------------------------------------- ReplyParser

TEST_CASE("ReplyParser reads single- and multi-line replies", "[smtp]") {
  ServerReply r = parse({"250 ok"});
  CHECK(r.code == 250);
  CHECK(r.text == "ok");
  CHECK(r.enhanced.empty());
  CHECK(r.status.empty());

  r = parse({"250-mail.example.test", "250-SIZE 1000", "250 STARTTLS"});
  CHECK(r.code == 250);
  CHECK(r.text == "mail.example.test\nSIZE 1000\nSTARTTLS");

  CHECK(parse({"250"}).text.empty());
  CHECK(parse({"250 "}).text.empty());
  CHECK(parse({"220-postscreen", "220 ready"}).text == "postscreen\nready");
}

TEST_CASE("ReplyParser splits off the enhanced status code", "[smtp]") {
  ServerReply r = parse({"250 2.1.0 Ok"});
  CHECK(r.enhanced == "2.1.0");
  CHECK(r.text == "Ok");

  r = parse({"550-5.1.1 The account does not exist.", "550-5.1.1 Please check.", "550 5.1.1 x"});
  CHECK(r.enhanced == "5.1.1");
  CHECK(r.text == "The account does not exist.\nPlease check.\nx");

  r = parse({"250 2.0.0"});
  CHECK(r.enhanced == "2.0.0");
  CHECK(r.text.empty());

  CHECK(parse({"451 4.123.456 busy"}).enhanced == "4.123.456");

  // Not an enhanced code: wrong class, glued text, too many digits, missing part.
  for (std::string_view line : {"250 5.0.0 x", "250 2.0.0x", "250 2.1000.0 x", "250 2..0 x",
                                "250 2.0 x", "250 2.0. x", "250 Ok 2.0.0"}) {
    INFO(line);
    r = parse({line});
    CHECK(r.enhanced.empty());
    CHECK(r.text == line.substr(4));
  }
}

TEST_CASE("ReplyParser refuses lines that are not replies", "[smtp]") {
  for (std::string_view line : {"2502 ok", "25O ok", "250x", "", "25", "abc", "150 ok", "650 ok",
                                " 250 ok", "250\tok", "O250 ok", "250_ok"}) {
    INFO("line: \"" << line << "\"");
    ReplyParser p;
    CHECK(p.add_line(line) == ReplyParser::Status::malformed);
    CHECK_FALSE(p.problem().empty());
  }
}

TEST_CASE("ReplyParser refuses a reply that mixes codes", "[smtp]") {
  ReplyParser p;
  CHECK(p.add_line("250-a") == ReplyParser::Status::need_more);
  CHECK(p.add_line("251 b") == ReplyParser::Status::malformed);
  CHECK(p.problem().find("250") != std::string::npos);
}

TEST_CASE("ReplyParser accepts 256 lines and refuses the 257th", "[smtp]") {
  ReplyParser p;
  for (std::size_t i = 1; i < kMaxReplyLines; ++i) {
    REQUIRE(p.add_line("250-line") == ReplyParser::Status::need_more);
  }
  CHECK(p.add_line("250 last") == ReplyParser::Status::complete);

  p.reset();
  for (std::size_t i = 0; i < kMaxReplyLines; ++i) {
    REQUIRE(p.add_line("250-line") == ReplyParser::Status::need_more);
  }
  CHECK(p.add_line("250 one too many") == ReplyParser::Status::malformed);
}

TEST_CASE("ReplyParser starts a new reply after a complete one", "[smtp]") {
  ReplyParser p;
  REQUIRE(p.add_line("250 first") == ReplyParser::Status::complete);
  REQUIRE(p.add_line("354 second") == ReplyParser::Status::complete);
  CHECK(p.reply().code == 354);
  CHECK(p.reply().text == "second");
}

// ---------------------------------------------------------------- helpers

TEST_CASE("extract_queue_id knows the common servers", "[smtp]") {
  struct Case {
    const char* server;
    std::string_view line;
    std::optional<std::string> id;
  };
  const std::vector<Case> cases = {
      {"Postfix", "250 2.0.0 Ok: queued as 72DC6A72182", "72DC6A72182"},
      {"Postfix, long ids", "250 2.0.0 Ok: queued as 4SgX0n1bNTz9sWQ", "4SgX0n1bNTz9sWQ"},
      {"Exchange", "250 2.6.0 <abc@host> [InternalId=123, Hostname=x] Queued mail for delivery",
       "abc@host"},
      {"Exchange without a message id",
       "250 2.6.0 [InternalId=123, Hostname=x] Queued mail for delivery", "123"},
      {"Sendmail", "250 2.0.0 5AB1xYz012345 Message accepted for delivery", "5AB1xYz012345"},
      {"Exim", "250 OK id=1qAbCd-000123-AB", "1qAbCd-000123-AB"},
      {"Gmail", "250 2.0.0 OK  1700000000 a1b2c3si123.45 - gsmtp", "a1b2c3si123.45"},
      {"qmail", "250 ok 1700000000 qp 12345", "12345"},
      {"unknown", "250 2.0.0 Ok", std::nullopt},
      {"unknown, bare", "250 OK", std::nullopt},
      {"not a success", "550 5.0.0 queued as NOPE", std::nullopt},
  };
  for (const Case& c : cases) {
    INFO(c.server << ": " << c.line);
    CHECK(extract_queue_id(parse({c.line})) == c.id);
  }
}

TEST_CASE("dot_stuff normalises line ends and escapes leading dots", "[smtp]") {
  struct Case {
    std::string_view in;
    std::string_view out;
  };
  const std::vector<Case> cases = {
      {"a\r\nb\r\n", "a\r\nb\r\n.\r\n"},
      {"a\nb\n", "a\r\nb\r\n.\r\n"},  // bare LF
      {"a\nb", "a\r\nb\r\n.\r\n"},    // no final line break
      {"a\rb\r", "a\r\nb\r\n.\r\n"},  // bare CR
      {".hidden\n..two\nmid.dot\n.\n", "..hidden\r\n...two\r\nmid.dot\r\n..\r\n.\r\n"},
      {"x\r\n.\r\ny", "x\r\n..\r\ny\r\n.\r\n"},  // an early end-of-data line
      {"a\n\nb", "a\r\n\r\nb\r\n.\r\n"},         // empty line kept
      {"\n.", "\r\n..\r\n.\r\n"},
      {"", "\r\n.\r\n"},
  };
  for (const Case& c : cases) {
    INFO("in: " << c.in);
    CHECK(dot_stuff(c.in) == c.out);
  }
}

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
    AuthMechanism wanted;
    std::string ehlo;
    std::string offered;
  };
  const std::vector<Case> cases = {
      {AuthMechanism::automatic, "250-mx\r\n250 AUTH CRAM-MD5 XOAUTH2\r\n", "CRAM-MD5 XOAUTH2"},
      {AuthMechanism::automatic, "250-mx\r\n250 SIZE 1000\r\n", "none"},
      {AuthMechanism::plain, "250-mx\r\n250 AUTH LOGIN\r\n", "LOGIN"},
      {AuthMechanism::login, "250-mx\r\n250 AUTH PLAIN\r\n", "PLAIN"},
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

// ---------------------------------------------------------------- every point of the dialogue

TEST_CASE("a 4xx or 5xx at every point ends the session with the reply kept", "[smtp]") {
  struct Injected {
    std::string wire;
    ServerReply reply;
  };
  const std::vector<Injected> replies = {
      {"421 4.3.2 Service shutting down\r\n", {421, "4.3.2", "Service shutting down", ""}},
      {"451-4.3.0 Temporary\r\n451 4.3.0 failure\r\n", {451, "4.3.0", "Temporary\nfailure", ""}},
      {"550 5.7.1 Not allowed\r\n", {550, "5.7.1", "Not allowed", ""}},
      {"535 5.7.8 Authentication credentials invalid\r\n",
       {535, "5.7.8", "Authentication credentials invalid", ""}},
      {"554 Go away\r\n", {554, "", "Go away", ""}},
  };
  for (const Flow& flow : all_flows()) {
    for (std::size_t k = 0; k < flow.script.size(); ++k) {
      const Turn& turn = flow.script[k];
      if (turn.server.empty()) continue;
      for (const Injected& bad : replies) {
        INFO(flow.name << ", turn " << k << " (" << turn.phase << ") answered " << bad.wire);
        Dialogue d(flow.cfg);
        play_until(d, flow.script, k);
        d.server_sends(turn.phase, bad.wire);
        if (turn.phase == "quit") {
          d.require_success();  // the message was accepted before
          CHECK(d.note_contains("after the message was accepted"));
          continue;
        }
        Reason expected = Reason::rejected;
        if (turn.phase == "auth" && bad.reply.code >= 500) expected = Reason::auth_failed;
        if (turn.phase == "starttls") expected = Reason::starttls_unavailable;
        const Failure& f = d.require_failure(expected, turn.phase);
        REQUIRE(f.reply);
        CHECK(f.reply->code == bad.reply.code);
        CHECK(f.reply->enhanced == bad.reply.enhanced);
        CHECK(f.reply->text == bad.reply.text);
        CHECK_FALSE(f.message.empty());
        CHECK_FALSE(d.client().outcome().final_reply.has_value());
      }
    }
  }
}

TEST_CASE("a disconnect at every point before acceptance is `disconnected`, after is fine",
          "[smtp]") {
  for (const Flow& flow : all_flows()) {
    for (std::size_t k = 0; k < flow.script.size(); ++k) {
      const Turn& turn = flow.script[k];
      if (turn.server.empty()) continue;
      // Closed with nothing of the reply sent, and in the middle of a reply line.
      for (std::size_t sent : {std::size_t{0}, turn.server.size() / 2}) {
        INFO(flow.name << ", turn " << k << " (" << turn.phase << "), " << sent << " bytes sent");
        Dialogue d(flow.cfg);
        play_until(d, flow.script, k);
        d.server_sends(turn.phase, std::string_view(turn.server).substr(0, sent));
        d.server_closes(turn.phase);
        if (turn.phase == "quit") {
          d.require_success();
          CHECK(d.client().outcome().queue_id == "72DC6A72182");
          CHECK(d.note_contains("closed the connection"));
        } else {
          const Failure& f = d.require_failure(Reason::disconnected, turn.phase);
          CHECK(f.message.find("closed the connection") != std::string::npos);
          CHECK_FALSE(f.reply.has_value());
        }
      }
    }
  }
}

TEST_CASE("malformed and unexpected replies are `protocol`", "[smtp]") {
  struct Case {
    std::size_t turn;
    std::string phase;
    std::string wire;
  };
  // Turn numbers of submission_script().
  const std::vector<Case> cases = {
      {0, "banner", "2502 ok\r\n"},
      {0, "banner", "hello\r\n"},
      {0, "banner", "220 hi\n"},  // bare LF
      {0, "banner", "250 not a greeting\r\n"},
      {1, "ehlo", "25O ok\r\n"},
      {1, "ehlo", "250-mail.example.test\r\n251 STARTTLS\r\n"},  // mixed codes
      {1, "ehlo", "250-mail.example.test\n250 STARTTLS\r\n"},    // bare LF inside
      {1, "ehlo", "354 what\r\n"},
      {2, "starttls", "250 ok\r\n"},
      {5, "auth", "334 \r\n"},  // a challenge after the initial response
      {6, "mail_from", "250x\r\n"},
      {7, "rcpt_to", "\r\n"},
      {8, "data", "250 2.0.0 Ok\r\n"},  // 250 to DATA instead of 354
      {9, "message", "354 again\r\n"},
  };
  const Script script = submission_script();
  for (const Case& c : cases) {
    INFO(c.phase << " answered " << c.wire);
    Dialogue d(submission());
    play_until(d, script, c.turn);
    d.server_sends(c.phase, c.wire);
    const Failure& f = d.require_failure(Reason::protocol, c.phase);
    CHECK_FALSE(f.message.empty());
  }
}

TEST_CASE("unexpected success codes keep the reply", "[smtp]") {
  Script script = submission_script();
  Dialogue d(submission());
  play_until(d, script, 8);
  d.server_sends("data", "250 2.0.0 Ok\r\n");
  const Failure& f = d.require_failure(Reason::protocol, "data");
  CHECK(f.message == "unexpected reply 250 to DATA");
  REQUIRE(f.reply);
  CHECK(f.reply->code == 250);
}

TEST_CASE("line problems are named with the limit", "[smtp]") {
  SECTION("a line longer than the limit, still unterminated") {
    Dialogue d(submission());
    d.server_sends("banner", "220-" + std::string(kMaxLineBytes, 'x'));
    const Failure& f = d.require_failure(Reason::protocol, "banner");
    CHECK(f.message.find(std::to_string(kMaxLineBytes)) != std::string::npos);
  }
  SECTION("a terminated line one byte over the limit") {
    Dialogue d(submission());
    play_until(d, submission_script(), 1);
    d.server_sends("ehlo", "250 " + std::string(kMaxLineBytes - 3, 'x') + "\r\n");
    const Failure& f = d.require_failure(Reason::protocol, "ehlo");
    CHECK(f.message.find(std::to_string(kMaxLineBytes)) != std::string::npos);
  }
  SECTION("a line exactly at the limit is fine") {
    Dialogue d(submission());
    d.server_sends("banner", "220 " + std::string(kMaxLineBytes - 4, 'x') + "\r\n");
    d.client_writes("ehlo", kEhlo);
  }
  SECTION("a bare LF") {
    Dialogue d(submission());
    d.server_sends("banner", "220 hi\n");
    const Failure& f = d.require_failure(Reason::protocol, "banner");
    CHECK(f.message.find("bare LF") != std::string::npos);
  }
  SECTION("a reply of more than 256 lines") {
    Dialogue d(submission());
    std::string flood;
    for (std::size_t i = 0; i < kMaxReplyLines; ++i) flood += "220-more\r\n";
    d.server_sends("banner", flood + "220 end\r\n");
    const Failure& f = d.require_failure(Reason::protocol, "banner");
    CHECK(f.message.find("256") != std::string::npos);
  }
}

// ---------------------------------------------------------------- QUIT and the end

TEST_CASE("problems in QUIT do not fail an accepted message", "[smtp]") {
  for (const char* bye : {"421 4.4.2 timeout\r\n", "550 no\r\n", "garbage\r\n", "221 bye\n",
                          "250 ok\r\n", "221-a\r\n222 b\r\n"}) {
    INFO(bye);
    Script script = submission_script();
    script.back().server = bye;
    Dialogue d(submission());
    d.play(script);
    d.require_success();
    CHECK(d.client().outcome().queue_id == "72DC6A72182");
    CHECK(d.note_contains("after the message was accepted"));
  }
}

TEST_CASE("a reply that arrives early is answered after the next write", "[smtp]") {
  Script script = mx_script();
  Dialogue d(mx_delivery());
  d.play(script, 2);
  d.client_writes("mail_from", "MAIL FROM:<probe@example.test>\r\n");
  d.server_sends("mail_from", "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
  d.client_writes("rcpt_to", "RCPT TO:<probe@example.test>\r\n");
  // The 250 for RCPT was buffered: the client goes on without another read.
  d.client_writes("data", "DATA\r\n");
}

TEST_CASE("after the end every call repeats the final action", "[smtp]") {
  Dialogue d(submission());
  d.server_sends("banner", "554 5.7.1 no\r\n");
  d.require_failure(Reason::rejected, "banner");
  const Action again = d.client().on_input("220 hello\r\n");
  CHECK(again.kind == Kind::done);
  REQUIRE(again.failure);
  CHECK(again.failure->reason == Reason::rejected);
  CHECK(d.client().on_written().failure.has_value());
  CHECK(d.client().on_tls().failure.has_value());
}

TEST_CASE("on_tls outside STARTTLS is an internal error", "[smtp]") {
  Client c(submission());
  c.start();
  const Action a = c.on_tls();
  REQUIRE(a.failure);
  CHECK(a.failure->reason == Reason::internal);
}

TEST_CASE("configuration that could inject commands is refused", "[smtp]") {
  SECTION("a line break in the EHLO name") {
    Config cfg = mx_delivery();
    cfg.ehlo_name = "probe\r\nRSET";
    Dialogue d(cfg);
    d.server_sends("banner", kBanner);
    d.require_failure(Reason::internal, "ehlo");
  }
  SECTION("a line break in MAIL FROM") {
    Config cfg = mx_delivery();
    cfg.mail_from = "a@b>\r\nRCPT TO:<evil@x";
    Dialogue d(cfg);
    d.play(mx_script(), 2);
    d.require_failure(Reason::internal, "mail_from");
  }
  SECTION("a line break in a recipient") {
    Config cfg = mx_delivery();
    cfg.rcpt_to = {"a@b>\nDATA"};
    Dialogue d(cfg);
    d.play(mx_script(), 3);
    d.require_failure(Reason::internal, "rcpt_to");
  }
  SECTION("no recipient at all") {
    Config cfg = mx_delivery();
    cfg.rcpt_to.clear();
    Dialogue d(cfg);
    d.play(mx_script(), 3);
    d.require_failure(Reason::internal, "rcpt_to");
  }
}

TEST_CASE("no AUTH in clear: STARTTLS optional and not offered fails before AUTH", "[smtp]") {
  Config cfg = submission();
  cfg.starttls = StartTls::optional;
  Dialogue d(cfg);
  d.play({{"banner", "", kBanner}, {"ehlo", kEhlo, kEhloWithAuth}});
  const Failure& f = d.require_failure(Reason::starttls_unavailable, "starttls");
  CHECK(f.message.find("was not offered") != std::string::npos);
  CHECK(f.message.find("allow_plaintext_auth") != std::string::npos);
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

TEST_CASE("address_problem: RFC 5321 mailboxes, and what is wrong with the rest", "[smtp]") {
  for (std::string_view good :
       {"probe@example.test", "a.b+tag@sub.example.test", "\"john doe\"@example.test",
        "\"a\\\"b\"@example.test", "user@[192.0.2.7]", "user@[IPv6:2001:db8::1]",
        "x!#$%&'*+-/=?^_`{|}~@example.test", "probe@xn--cole-9oa.test"}) {
    INFO(good);
    CHECK_FALSE(address_problem(good).has_value());
  }
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"a@example.test\r\nRSET", "line break"},
      {"a@example.test\n", "line break"},
      {std::string("a\0@example.test", 15), "NUL"},
      {"", "empty"},
      {"no-at-sign", "no @"},
      {"@example.test", "before the @ is empty"},
      {"a@", "domain after the @ is empty"},
      {".a@example.test", "dots"},
      {"a.@example.test", "dots"},
      {"a..b@example.test", "dots"},
      {"a b@example.test", "' ' is not allowed"},
      {"a@exa mple.test", "' ' is not allowed in a domain"},
      {"a@-example.test", "start and end with a letter or digit"},
      {"a@example..test", "empty label"},
      {"a@[192.0.2.7", "not closed"},
      {"\"open@example.test", "not closed"},
      {"<a@example.test>", "angle brackets"},
      {std::string(65, 'x') + "@example.test", "64"},
      {"a@" + std::string(64, 'x') + ".test", "63"},
      {"\xc3\xa9l\xc3\xa8ve@example.test", "SMTPUTF8"},
      {"\"a\\\x01\"@example.test", "control character"},
      {"\"a\\\x7f\"@example.test", "control character"},
      {"a@[]", "is empty"},
  };
  for (const auto& [address, words] : bad) {
    INFO(address);
    const auto problem = address_problem(address);
    REQUIRE(problem.has_value());
    CHECK(problem->find(words) != std::string::npos);
  }
}
