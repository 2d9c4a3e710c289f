// The shared line layer: CRLF framing, strictness and hard limits, with no sockets.
#include <catch2/catch.hpp>
#include <string>

#include "protocols/line_buffer.hpp"

using mc::proto::LineBuffer;
using Status = LineBuffer::Status;

TEST_CASE("LineBuffer yields CRLF lines in order, whatever the split", "[line]") {
  const std::string wire = "220-first\r\n220 second\r\n\r\nlast\r\n";
  for (std::size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    LineBuffer b;
    std::vector<std::string> lines;
    std::string line;
    for (std::size_t i = 0; i < wire.size(); i += chunk) {
      b.feed(wire.substr(i, chunk));
      while (b.next_line(line) == Status::line) lines.push_back(line);
    }
    REQUIRE(lines == std::vector<std::string>{"220-first", "220 second", "", "last"});
    CHECK(b.buffered() == 0);
  }
}

TEST_CASE("LineBuffer refuses a bare LF, at the start of a line too", "[line]") {
  std::string line;
  LineBuffer a;
  a.feed("220 ok\n");
  CHECK(a.next_line(line) == Status::bare_lf);
  LineBuffer b;
  b.feed("\n");
  CHECK(b.next_line(line) == Status::bare_lf);
}

TEST_CASE("LineBuffer accepts a line of exactly the limit and refuses one byte more", "[line]") {
  std::string line;
  LineBuffer ok(16);
  ok.feed(std::string(16, 'a') + "\r\n");
  REQUIRE(ok.next_line(line) == Status::line);
  CHECK(line.size() == 16);

  LineBuffer over(16);
  over.feed(std::string(17, 'a') + "\r\n");
  CHECK(over.next_line(line) == Status::too_long);
}

TEST_CASE("LineBuffer refuses an endless line before its end arrives", "[line]") {
  std::string line;
  LineBuffer b(16);
  b.feed(std::string(16, 'a') + "\r");  // may still become a line of exactly 16 bytes
  CHECK(b.next_line(line) == Status::need_more);
  b.feed("a");
  CHECK(b.next_line(line) == Status::too_long);

  LineBuffer big;  // the default limit, fed in pieces as a server would
  for (int i = 0; i < 4; ++i) big.feed(std::string(4096, 'x'));
  CHECK(big.next_line(line) == Status::too_long);
  CHECK(mc::proto::kMaxLineBytes == 8192);
}

TEST_CASE("LineBuffer hands out raw bytes for literals and counts what is left", "[line]") {
  LineBuffer b;
  std::string out;
  b.feed("* 1 FETCH {5}\r\nab\r\nc)\r\n");
  REQUIRE(b.next_line(out) == Status::line);
  CHECK(b.buffered() == 8);
  CHECK_FALSE(b.take_bytes(10, out));
  REQUIRE(b.take_bytes(5, out));
  CHECK(out == "ab\r\nc");
  REQUIRE(b.next_line(out) == Status::line);
  CHECK(out == ")");
  CHECK(b.buffered() == 0);
}
