// imap::ResponseReader on server bytes. Input: the ServerScript of harness.hpp without flag
// bytes: K, the server's bytes, K chunk sizes. The bytes are read twice: in those chunks, and
// all at once.
//
// Asserts beyond "no crash":
// - any split of the bytes gives the same responses, in the same order, and the same end
//   (need_more, or the same error; a line over the limit without its LF yet may be too_long
//   where the whole line is bare_lf: both end the session);
// - every response is well-formed as the client relies on it: a tagged one has a tag and OK, NO
//   or BAD; a status response (OK/NO/BAD/BYE/PREAUTH) is not numbered and carries no literal;
//   each literal has its "{n}" marker in the text and fits kMaxLiteralBytes, and all of one
//   response fits kMaxResponseBytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/imap.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using mc::proto::LineBuffer;
namespace imap = mc::proto::imap;
using Status = imap::ResponseReader::Status;

struct Reading {
  std::vector<imap::Response> responses;
  Status end = Status::need_more;
};

bool same(const imap::Response& a, const imap::Response& b) {
  return a.kind == b.kind && a.tag == b.tag && a.status == b.status && a.number == b.number &&
         a.numbered == b.numbered && a.code == b.code && a.text == b.text &&
         a.literals == b.literals;
}

// A "{n}" marker in `text` whose number (leading zeros allowed) is `size`.
bool has_marker(const std::string& text, std::size_t size) {
  for (std::size_t open = text.find('{'); open != std::string::npos;
       open = text.find('{', open + 1)) {
    std::size_t i = open + 1, n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && n <= size)
      n = n * 10 + static_cast<std::size_t>(text[i++] - '0');
    if (i > open + 1 && i < text.size() && text[i] == '}' && n == size) return true;
  }
  return false;
}

bool is_status(const std::string& s) {
  return s == "OK" || s == "NO" || s == "BAD" || s == "BYE" || s == "PREAUTH";
}

void check_response(const imap::Response& r) {
  std::size_t size = r.text.size() + r.code.size();
  switch (r.kind) {
    case imap::Response::Kind::tagged:
      check(!r.tag.empty() && (r.status == "OK" || r.status == "NO" || r.status == "BAD"),
            "tagged response without tag or OK/NO/BAD", r.tag + " " + r.status);
      check(r.literals.empty(), "tagged response with a literal");
      break;
    case imap::Response::Kind::untagged:
      check(!r.status.empty(), "untagged response without a keyword");
      if (is_status(r.status))
        check(!r.numbered && r.literals.empty(), "status response numbered or with a literal",
              r.text);
      break;
    case imap::Response::Kind::continuation:
      check(r.literals.empty(), "continuation with a literal");
      break;
  }
  for (const std::string& literal : r.literals) {
    check(literal.size() <= mc::proto::kMaxLiteralBytes, "literal over kMaxLiteralBytes");
    check(has_marker(r.text, literal.size()), "literal without its marker in the text", r.text);
    size += literal.size();
  }
  check(size <= imap::kMaxResponseBytes, "response over kMaxResponseBytes");
}

// Reads until the reader wants more than `feed` gives, or ends the session.
template <typename Feed>
Reading read_all(Feed feed) {
  Reading out;
  LineBuffer in;
  imap::ResponseReader reader;
  for (std::string_view chunk = feed(); !chunk.empty(); chunk = feed()) {
    in.feed(chunk);
    for (;;) {
      imap::Response r;
      out.end = reader.next(in, r);
      if (out.end == Status::complete) {
        check_response(r);
        out.responses.push_back(std::move(r));
        continue;
      }
      if (out.end != Status::need_more) return out;
      break;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mc::fuzz::ServerScript script(data, size, 0);
  const Reading chunked = read_all([&] { return script.next_chunk(); });
  bool given = false;
  const Reading whole = read_all([&]() -> std::string_view {
    if (given) return {};
    given = true;
    return script.stream();
  });

  check(chunked.responses.size() == whole.responses.size(),
        "another split gives another number of responses",
        std::to_string(chunked.responses.size()) + " in chunks, " +
            std::to_string(whole.responses.size()) + " whole");
  for (std::size_t i = 0; i < whole.responses.size(); ++i)
    check(same(chunked.responses[i], whole.responses[i]), "another split gives another response",
          whole.responses[i].text);
  const auto line_error = [](Status s) { return s == Status::too_long || s == Status::bare_lf; };
  check(chunked.end == whole.end || (line_error(chunked.end) && line_error(whole.end)),
        "another split ends the reading differently",
        std::to_string(static_cast<int>(chunked.end)) + " in chunks, " +
            std::to_string(static_cast<int>(whole.end)) + " whole");
  return 0;
}
