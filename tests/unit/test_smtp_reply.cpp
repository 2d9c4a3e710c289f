// SMTP replies and the helpers around them: the reply parser, the queue ids of the common
// servers, dot-stuffing, and the mail addresses RFC 5321 allows.
#include "protocols/smtp.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace mc::proto;
using namespace mc::proto::smtp;

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

// ---------------------------------------------------------------- addresses

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
