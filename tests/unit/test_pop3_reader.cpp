// The POP3 reply reader on real servers' replies: Dovecot's, Courier's, Gmail's, with RFC 2449
// response codes, multi-line bodies with byte-stuffing, and the limits.
#include <catch2/catch.hpp>

#include "protocols/pop3/reply.hpp"

using mc::proto::LineBuffer;
using mc::proto::pop3::carries_token;
using mc::proto::pop3::header_block;
using mc::proto::pop3::kMaxMultilineBytes;
using mc::proto::pop3::parse_status;
using mc::proto::pop3::parse_uidl;
using mc::proto::pop3::Reply;
using mc::proto::pop3::ReplyReader;
using Status = ReplyReader::Status;

namespace {

Status read(const std::string& bytes, Reply& r, bool multiline) {
  LineBuffer in;
  in.feed(bytes);
  ReplyReader reader;
  return reader.next(in, r, multiline);
}

}  // namespace

TEST_CASE("POP3 status lines of real servers", "[pop3][reader]") {
  auto r = parse_status("+OK Dovecot (Debian) ready.");
  REQUIRE(r);
  CHECK(r->ok());
  CHECK(r->text == "Dovecot (Debian) ready.");
  r = parse_status("-ERR [AUTH] Authentication failed.");
  REQUIRE(r);
  CHECK(r->kind == Reply::Kind::err);
  CHECK(r->code == "AUTH");
  CHECK(r->text == "Authentication failed.");
  r = parse_status("-ERR [SYS/TEMP] Internal error occurred. Refer to server log.");
  REQUIRE(r);
  CHECK(r->code == "SYS/TEMP");
  r = parse_status("+OK");
  REQUIRE(r);
  CHECK(r->text.empty());
  r = parse_status("+ ");
  REQUIRE(r);
  CHECK(r->kind == Reply::Kind::continuation);
  r = parse_status("+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
  REQUIRE(r);
  CHECK(r->text == "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
  CHECK(parse_status("+ok Gmail ready")->ok());  // case is not the status's meaning
  CHECK_FALSE(parse_status("+OKAY"));
  CHECK_FALSE(parse_status("* OK IMAP4rev1"));
  CHECK_FALSE(parse_status(""));
  CHECK_FALSE(parse_status("220 smtp ready"));
}

TEST_CASE("POP3 multi-line replies are dot-unstuffed and end at a lone dot", "[pop3][reader]") {
  Reply r;
  REQUIRE(read("+OK 2 messages\r\n1 000000017c9a\r\n2 000000027c9a\r\n.\r\n", r, true) ==
          Status::complete);
  CHECK(r.lines == std::vector<std::string>{"1 000000017c9a", "2 000000027c9a"});
  REQUIRE(read("+OK\r\nSubject: x\r\n..hidden\r\n..\r\n\r\n.\r\n", r, true) == Status::complete);
  CHECK(r.lines == std::vector<std::string>{"Subject: x", ".hidden", ".", ""});
  // -ERR to a multi-line command has no body.
  REQUIRE(read("-ERR no such message\r\n", r, true) == Status::complete);
  CHECK_FALSE(r.ok());
  CHECK(r.lines.empty());
  // The same bytes, one at a time.
  const std::string bytes = "+OK\r\nA: b\r\n.\r\n+OK next\r\n";
  LineBuffer in;
  ReplyReader reader;
  Status st = Status::need_more;
  std::size_t fed = 0;
  while (fed < bytes.size() && st != Status::complete) {
    in.feed(bytes.substr(fed++, 1));
    st = reader.next(in, r, true);
  }
  REQUIRE(st == Status::complete);
  in.feed(bytes.substr(fed));
  CHECK(r.lines == std::vector<std::string>{"A: b"});
  REQUIRE(reader.next(in, r, false) == Status::complete);
  CHECK(r.text == "next");
}

TEST_CASE("POP3 reader refuses what no server may send", "[pop3][reader]") {
  Reply r;
  CHECK(read("* OK hello\r\n", r, false) == Status::malformed);
  CHECK(read("+OK\n", r, false) == Status::bare_lf);
  CHECK(read("+OK " + std::string(mc::proto::kMaxLineBytes + 10, 'x'), r, false) ==
        Status::too_long);
  std::string big = "+OK\r\n";
  const std::string line(1000, 'a');
  while (big.size() < kMaxMultilineBytes + 4096) big += line + "\r\n";
  CHECK(read(big, r, true) == Status::too_large);
  CHECK(read("+OK\r\n1 a\r\n", r, true) == Status::need_more);
}

TEST_CASE("UIDL listings", "[pop3][reader]") {
  auto e = parse_uidl({"1 000000017c9a0f42", "2 QhdPYR:00WBw1Ph7x7"});
  REQUIRE(e);
  REQUIRE(e->size() == 2);
  CHECK((*e)[1].number == 2);
  CHECK((*e)[1].uid == "QhdPYR:00WBw1Ph7x7");
  CHECK(parse_uidl({})->empty());
  CHECK_FALSE(parse_uidl({"1"}));
  CHECK_FALSE(parse_uidl({"x abc"}));
  CHECK_FALSE(parse_uidl({"0 abc"}));
  CHECK_FALSE(parse_uidl({"1 a", "1 b"}));
  CHECK_FALSE(parse_uidl({"1 " + std::string(71, 'a')}));
  CHECK_FALSE(parse_uidl({"1 a\tb"}));
  CHECK_FALSE(parse_uidl({"99999999999 a"}));
}

TEST_CASE("TOP n 0 header blocks and the probe's token", "[pop3][reader]") {
  const std::string token = "0123456789abcdef0123456789abcdef";
  const std::string h =
      header_block({"Return-Path: <probe@example.test>", "Received: from mx (mx [127.0.0.1])",
                    "\tby mail; Tue, 1 Dec 2026 18:00:00 +0000", "X-Mailcanary-Token: " + token,
                    "Subject: probe", ""});
  CHECK(h.substr(h.size() - 4) == "\r\n\r\n");
  CHECK(carries_token(h, token));
  CHECK_FALSE(carries_token(h, token.substr(1)));
  CHECK_FALSE(carries_token(h, ""));
  // The token quoted in another field, or in the body, is not the field.
  CHECK_FALSE(carries_token(header_block({"Subject: " + token, "", "X-Mailcanary-Token: " + token}),
                            token));
  CHECK(carries_token(header_block({"x-mailcanary-token:  " + token}), token));
}
