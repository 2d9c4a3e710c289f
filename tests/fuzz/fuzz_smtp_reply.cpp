// The SMTP helpers that read what a server says or shape what the client sends: ReplyParser on
// the input's lines, extract_queue_id on every reply, dot_stuff on the input as a message, and
// address_problem on every line as an address.
//
// Asserts beyond "no crash":
// - ReplyParser: a complete reply has the code of its lines (2xx..5xx), as many text lines as
//   were added (never more than kMaxReplyLines), and an enhanced code only as the start of its
//   last line's text; a reply mixing codes is never accepted.
// - extract_queue_id: nothing for a reply that is not 2xx; an id is a short printable token
//   taken from the reply's text.
// - dot_stuff: the output ends with "\r\n.\r\n", holds no bare CR or LF and no line that starts
//   with a single '.', and removing the stuffing gives back the message, CRLF-normalised.
// - address_problem: an address it accepts holds no CR, LF or NUL and fits the 254 bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/smtp.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using mc::proto::ServerReply;
namespace smtp = mc::proto::smtp;

void check_queue_id(const ServerReply& r) {
  const std::optional<std::string> id = smtp::extract_queue_id(r);
  if (r.code / 100 != 2) {
    check(!id, "queue id taken from a reply that is not 2xx", r.text);
    return;
  }
  if (!id) return;
  check(!id->empty() && id->size() <= 128, "queue id empty or longer than 128 bytes", *id);
  for (char c : *id) check(c > ' ' && c <= '~', "queue id holds a blank or 8-bit byte", *id);
  check(r.text.find(*id) != std::string::npos, "queue id is not part of the reply's text", *id);
}

void check_replies(const std::vector<std::string_view>& lines) {
  smtp::ReplyParser parser;
  std::vector<std::string_view> current;  // lines of the reply being parsed
  for (std::string_view line : lines) {
    const smtp::ReplyParser::Status s = parser.add_line(line);
    if (s == smtp::ReplyParser::Status::malformed) {
      check(!parser.problem().empty(), "malformed reply without a problem", line);
      parser.reset();
      current.clear();
      continue;
    }
    current.push_back(line);
    check(current.size() <= smtp::kMaxReplyLines, "reply accepted beyond kMaxReplyLines");
    check(line.size() >= 3 && line.substr(0, 3) == current.front().substr(0, 3),
          "reply line accepted with another code than the first", line);
    if (s == smtp::ReplyParser::Status::need_more) {
      check(line.size() > 3 && line[3] == '-', "need_more after a last line", line);
      continue;
    }
    const ServerReply& r = parser.reply();
    check(r.code >= 200 && r.code <= 599 && std::to_string(r.code) == line.substr(0, 3),
          "reply code is not its lines' code", line);
    std::size_t text_lines = 1;
    for (char c : r.text) text_lines += c == '\n';
    // A line's own text may hold a LF only if the input line did; lines come split on LF here.
    check(text_lines == current.size(), "reply text has another number of lines than added",
          r.text);
    if (!r.enhanced.empty()) {
      const std::string_view last = line.size() > 4 ? line.substr(4) : std::string_view();
      check(last.substr(0, r.enhanced.size()) == r.enhanced && r.enhanced[0] == line[0],
            "enhanced code is not the start of the last line", line);
    }
    check_queue_id(r);
    current.clear();
  }
}

// CRLF, bare LF and bare CR each end a line.
std::string crlf_normalised(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' || s[i] == '\n') {
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      out += "\r\n";
    } else {
      out += s[i];
    }
  }
  return out;
}

void check_dot_stuff(std::string_view message) {
  const std::string out = smtp::dot_stuff(message);
  check(out.size() >= 5 && out.ends_with("\r\n.\r\n"), "dot_stuff output not ended by CRLF.CRLF",
        out);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\n') check(i > 0 && out[i - 1] == '\r', "dot_stuff output has a bare LF", out);
    if (out[i] == '\r')
      check(i + 1 < out.size() && out[i + 1] == '\n', "dot_stuff output has a bare CR", out);
  }
  // Undo the stuffing line by line; only the final "." may start with a single dot.
  const std::string_view body = std::string_view(out).substr(0, out.size() - 3);  // without ".\r\n"
  std::string unstuffed;
  for (std::size_t start = 0; start < body.size();) {
    const std::size_t end = body.find("\r\n", start);
    std::string_view line = body.substr(start, end - start);
    if (!line.empty() && line[0] == '.') {
      check(line.size() >= 2 && line[1] == '.', "a line starts with a single '.'", line);
      line.remove_prefix(1);
    }
    unstuffed += line;
    unstuffed += "\r\n";
    start = end + 2;
  }
  std::string expected = crlf_normalised(message);
  if (expected.empty() || !expected.ends_with("\r\n")) expected += "\r\n";
  check(unstuffed == expected, "dot_stuff changed the message beyond the stuffing", out);
}

void check_address(std::string_view address) {
  if (smtp::address_problem(address)) return;
  check(address.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos,
        "address with CR, LF or NUL accepted", address);
  check(!address.empty() && address.size() <= 254, "address empty or over 254 bytes accepted",
        address);
  check(address.find('@') != std::string_view::npos, "address without @ accepted", address);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;  // as the LineBuffer hands them over: without CRLF
  for (std::size_t start = 0; start <= input.size();) {
    const std::size_t lf = input.find('\n', start);
    std::string_view line = input.substr(start, lf == std::string_view::npos ? lf : lf - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (lf == std::string_view::npos) break;
    start = lf + 1;
  }
  check_replies(lines);
  check_queue_id(ServerReply{250, "", std::string(input), ""});
  check_queue_id(ServerReply{550, "", std::string(input), ""});
  check_dot_stuff(input);
  check_address(input);
  for (std::string_view line : lines) check_address(line);
  return 0;
}
