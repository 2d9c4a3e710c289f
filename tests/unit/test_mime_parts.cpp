// The MIME structure under the delivery-report reader: Content-Type fields, multipart bodies
// (padding after a delimiter, a missing close, nesting), and the transfer encodings.
#include <catch2/catch.hpp>
#include <string>

#include "protocols/mime/parts.hpp"

using namespace mc::proto::mime;

TEST_CASE("Content-Type: type, subtype and parameters as mailers write them", "[mime][parts]") {
  const ContentType postfix = parse_content_type(
      "multipart/report; report-type=delivery-status; "
      "boundary=\"6A2F81C0B4E.1796122803/mx1.example.net\"");
  CHECK(postfix.is("multipart", "report"));
  CHECK(postfix.param("report-type") == "delivery-status");
  CHECK(postfix.param("Boundary") == "6A2F81C0B4E.1796122803/mx1.example.net");

  const ContentType odd = parse_content_type(
      " Multipart/Report (a comment; with a semicolon) ; BOUNDARY=\"a;b \\\"c\\\"\" ;"
      "report-type = delivery-status ; junk");
  CHECK(odd.is("multipart", "report"));
  CHECK(odd.param("boundary") == "a;b \"c\"");
  CHECK(odd.param("report-type") == "delivery-status");
  CHECK(odd.param("junk").empty());

  for (const char* broken : {"", "text", "/plain", "text/", "te xt/plain", "\"text/plain\""}) {
    INFO(broken);
    CHECK(parse_content_type(broken).is("text", "plain"));
  }
}

TEST_CASE("an entity's header ends at the first empty line, CRLF or LF", "[mime][parts]") {
  CHECK(split_entity("A: 1\r\nB: 2\r\n\r\nbody\r\n").header == "A: 1\r\nB: 2\r\n");
  CHECK(split_entity("A: 1\r\nB: 2\r\n\r\nbody\r\n").body == "body\r\n");
  CHECK(split_entity("A: 1\n\nbody").body == "body");
  CHECK(split_entity("\nbody").header.empty());
  CHECK(split_entity("\nbody").body == "body");
  CHECK(split_entity("A: 1\nB: 2").header == "A: 1\nB: 2");
  CHECK(split_entity("A: 1\nB: 2").body.empty());
}

TEST_CASE("multipart bodies split at their delimiter lines only", "[mime][parts]") {
  const auto parts = split_multipart(
      "preamble\r\n--b\r\nfirst\r\n--bx not a delimiter\r\n--b \t\r\nsecond\r\n\r\n--b--\r\n"
      "epilogue\r\n--b\r\nnever\r\n",
      "b");
  REQUIRE(parts.size() == 2);
  CHECK(parts[0] == "first\r\n--bx not a delimiter");
  CHECK(parts[1] == "second\r\n");

  const auto cut = split_multipart("--b\nfirst\n--b\nsecond, cut", "b");
  REQUIRE(cut.size() == 2);
  CHECK(cut[1] == "second, cut");
  CHECK(split_multipart("--b\nx\n--b--", "").empty());
  CHECK(split_multipart("no delimiter at all", "b").empty());
}

TEST_CASE("transfer encodings: base64 with line breaks, quoted-printable", "[mime][parts]") {
  CHECK(decode_transfer("SGVsbG8s\r\nIHdvcmxk\r\nIQ==\r\n", "base64") == "Hello, world!");
  CHECK(decode_transfer("SGVs bG8*", " BASE64 ") == "Hello");
  CHECK(decode_transfer("SGVsbG8sIHdvcmxk", "base64") == "Hello, world");
  CHECK(decode_transfer("SGVsbA", "base64") == "Hell");  // a cut final group
  CHECK(decode_transfer("SGVsbG8=\r\nIGFnYWlu", "base64") == "Hello");
  CHECK(decode_transfer("a=3Db=\r\nc=\nd=  \r\ne", "quoted-printable") == "a=bcde");
  CHECK(decode_transfer("=4=ZZ=", "quoted-printable") == "=4=ZZ");
  CHECK(decode_transfer("caf=C3=A9", "Quoted-Printable") == "caf\xc3\xa9");
  CHECK(decode_transfer("a=3Db", "7bit") == "a=3Db");
}

TEST_CASE("a message's leaves, nested multiparts followed", "[mime][parts]") {
  const Message m = parse_message(
      "Content-Type: multipart/report; boundary=o\n\n"
      "--o\nContent-Type: multipart/alternative; boundary=i\n\n"
      "--i\nContent-Type: text/plain\n\nplain\n--i\nContent-Type: text/html\n\n<p>html</p>\n--i--\n"
      "--o\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
      "QWN0aW9uOiBmYWlsZWQ=\n"
      "--o\n\nno header: text/plain\n"
      "--o--\n");
  CHECK(m.type.is("multipart", "report"));
  REQUIRE(m.leaves.size() == 4);
  CHECK(m.leaves[0].type.is("text", "plain"));
  CHECK(m.leaves[0].content == "plain");
  CHECK(m.leaves[1].type.is("text", "html"));
  CHECK(m.leaves[2].type.is("message", "delivery-status"));
  CHECK(m.leaves[2].content == "Action: failed");
  CHECK(m.leaves[3].type.is("text", "plain"));
  CHECK(m.leaves[3].content == "no header: text/plain");

  const Message digest = parse_message(
      "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody\n--d--\n");
  REQUIRE(digest.leaves.size() == 1);
  CHECK(digest.leaves[0].type.is("message", "rfc822"));

  std::string many = "Content-Type: multipart/mixed; boundary=m\n\n";
  for (int i = 0; i < 500; ++i) many += "--m\n\npart\n";
  CHECK(parse_message(many).leaves.size() == kMaxParts);
}
