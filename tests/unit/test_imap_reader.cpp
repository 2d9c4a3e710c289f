// The IMAP helpers and the response reader: quoting, when a literal is needed, and how server
// bytes become tagged, untagged and continuation responses within the line and literal limits.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocols/imap.hpp"

namespace {

using mc::proto::kMaxLineBytes;
using mc::proto::kMaxLiteralBytes;
using mc::proto::LineBuffer;
using namespace mc::proto::imap;

}  // namespace

// ---- Helpers and the response reader -------------------------------------------------------

TEST_CASE("quote_astring escapes backslash and double quote", "[imap]") {
  CHECK(quote_astring("INBOX") == "\"INBOX\"");
  CHECK(quote_astring("") == "\"\"");
  CHECK(quote_astring(R"(pa"ss\word)") == R"("pa\"ss\\word")");
}

TEST_CASE("needs_literal is true for CR, LF, NUL and 8-bit bytes only", "[imap]") {
  CHECK_FALSE(needs_literal("plain ascii \"quoted\" \\ ok"));
  CHECK(needs_literal("a\rb"));
  CHECK(needs_literal("a\nb"));
  CHECK(needs_literal(std::string("a\0b", 3)));
  CHECK(needs_literal("p\xc3\xa4ss"));
}

namespace {
ResponseReader::Status read_one(const std::string& bytes, Response& out) {
  LineBuffer in;
  in.feed(bytes);
  ResponseReader reader;
  return reader.next(in, out);
}
}  // namespace

TEST_CASE("ResponseReader splits tagged, untagged and continuation responses", "[imap]") {
  Response r;
  REQUIRE(read_one("a3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n", r) ==
          ResponseReader::Status::complete);
  CHECK(r.kind == Response::Kind::tagged);
  CHECK(r.tag == "a3");
  CHECK(r.status == "NO");
  CHECK(r.code == "AUTHENTICATIONFAILED");
  CHECK(r.text == "Authentication failed.");

  REQUIRE(read_one("* ok [UIDVALIDITY 1700000000] UIDs valid\r\n", r) ==
          ResponseReader::Status::complete);
  CHECK(r.kind == Response::Kind::untagged);
  CHECK(r.status == "OK");
  CHECK(r.code == "UIDVALIDITY 1700000000");
  CHECK(r.text == "UIDs valid");

  REQUIRE(read_one("* 12 EXISTS\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.status == "EXISTS");
  CHECK(r.number == 12);

  REQUIRE(read_one("* SEARCH 3 7\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.status == "SEARCH");
  CHECK(r.text == "3 7");

  REQUIRE(read_one("* CAPABILITY IMAP4rev1 IDLE\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.status == "CAPABILITY");
  CHECK(r.text == "IMAP4rev1 IDLE");

  REQUIRE(read_one("+ Ready for literal data\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.kind == Response::Kind::continuation);
  CHECK(r.text == "Ready for literal data");
  REQUIRE(read_one("+\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.kind == Response::Kind::continuation);
  CHECK(r.text.empty());

  REQUIRE(read_one("a1 OK [unterminated code\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.code.empty());
  CHECK(r.text == "[unterminated code");
}

TEST_CASE("ResponseReader collects several literals; the response goes on after each", "[imap]") {
  const std::string bytes =
      "* 1 FETCH (UID 7 BODY[HEADER] {5}\r\nHe\r\n\r BODY[TEXT] {3}\r\nabc FLAGS (\\Seen))\r\n"
      "* 2 EXISTS\r\n";
  Response r;
  LineBuffer in;
  in.feed(bytes);
  ResponseReader reader;
  REQUIRE(reader.next(in, r) == ResponseReader::Status::complete);
  CHECK(r.status == "FETCH");
  CHECK(r.number == 1);
  CHECK(r.text == "(UID 7 BODY[HEADER] {5} BODY[TEXT] {3} FLAGS (\\Seen))");
  REQUIRE(r.literals.size() == 2);
  CHECK(r.literals[0] == "He\r\n\r");
  CHECK(r.literals[1] == "abc");
  REQUIRE(reader.next(in, r) == ResponseReader::Status::complete);
  CHECK(r.status == "EXISTS");
  CHECK(reader.next(in, r) == ResponseReader::Status::need_more);
}

TEST_CASE("ResponseReader resumes a response fed one byte at a time", "[imap]") {
  const std::string bytes = "* 1 FETCH (UID 7 BODY[HEADER] {4}\r\nab\r\n)\r\n";
  LineBuffer in;
  ResponseReader reader;
  Response r;
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    in.feed(bytes.substr(i, 1));
    REQUIRE(reader.next(in, r) == ResponseReader::Status::need_more);
  }
  in.feed(bytes.substr(bytes.size() - 1));
  REQUIRE(reader.next(in, r) == ResponseReader::Status::complete);
  CHECK(r.literals == std::vector<std::string>{"ab\r\n"});
  CHECK(r.text == "(UID 7 BODY[HEADER] {4})");
}

TEST_CASE("ResponseReader takes no literal from status responses", "[imap]") {
  Response r;
  REQUIRE(read_one("* OK see {5}\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.text == "see {5}");
  REQUIRE(read_one("a1 OK done {5}\r\n", r) == ResponseReader::Status::complete);
  CHECK(r.literals.empty());
}

TEST_CASE("ResponseReader refuses malformed responses", "[imap]") {
  Response r;
  for (const char* line : {"\r\n", "a1\r\n", "a1 FOO bar\r\n", "a1 BYE x\r\n", "*\r\n", "* \r\n",
                           "* 3 OK x\r\n", "* 99999999999 EXISTS\r\n", "a(1 OK x\r\n"}) {
    INFO(line);
    CHECK(read_one(line, r) == ResponseReader::Status::malformed);
  }
}

TEST_CASE("ResponseReader enforces the line and literal limits and strict CRLF", "[imap]") {
  Response r;
  CHECK(read_one(std::string(kMaxLineBytes + 10, 'x'), r) == ResponseReader::Status::too_long);
  CHECK(read_one("* OK fine\n", r) == ResponseReader::Status::bare_lf);
  // Refused from the announcement alone: not one payload byte has arrived.
  CHECK(read_one("* 1 FETCH (BODY[HEADER] {" + std::to_string(kMaxLiteralBytes + 1) + "}\r\n", r) ==
        ResponseReader::Status::literal_too_large);
  CHECK(read_one("* 1 FETCH (BODY[HEADER] {99999999999999999999999999}\r\n", r) ==
        ResponseReader::Status::literal_too_large);
  CHECK(read_one("* 1 FETCH (BODY[HEADER] {" + std::to_string(kMaxLiteralBytes) + "}\r\n", r) ==
        ResponseReader::Status::need_more);
}

TEST_CASE("ResponseReader bounds a response that chains literal after literal", "[imap]") {
  LineBuffer in;
  ResponseReader reader;
  Response r;
  const std::string payload(kMaxLiteralBytes, 'x');
  in.feed("* 1 FETCH (A {" + std::to_string(payload.size()) + "}\r\n");
  in.feed(payload);
  in.feed(" B {" + std::to_string(payload.size()) + "}\r\n");
  CHECK(reader.next(in, r) == ResponseReader::Status::response_too_large);
}
