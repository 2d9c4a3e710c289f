// The delivery-report reader of protocols/mime/dsn.hpp (and the MIME structure under it) on
// arbitrary text.
//
// Asserts beyond "no crash":
// - every value is one line (no control characters) of at most kDsnMaxValue bytes, there are at
//   most kDsnMaxRecipients recipients, and a status is empty or an RFC 3463 code;
// - a text that is no report (form none) has no recipients, is no bounce and returns no token;
// - a report is a bounce exactly when a recipient failed, and may_be_dsn says its header is one;
// - the token of an X-Mailcanary-Token field of the returned header is returned, and a token
//   that is returned stands in the returned header;
// - bounce_reply's text is one line and its enhanced code the primary recipient's status.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/mime/dsn.hpp"
#include "protocols/mime/headers.hpp"
#include "protocols/mime/parts.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using namespace mc::proto::mime;

bool one_line(const std::string& v) {
  for (char c : v)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return v.size() <= kDsnMaxValue;
}

bool status_form(const std::string& s) {
  if (s.empty()) return true;
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return false;
  std::size_t dots = 0, run = 0;
  for (std::size_t i = 2; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (run == 0) return false;
      ++dots;
      run = 0;
    } else if (s[i] >= '0' && s[i] <= '9') {
      if (++run > 3) return false;
    } else {
      return false;
    }
  }
  return dots == 1 && run > 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const Dsn d = parse_dsn(text);
  check(d.recipients.size() <= kDsnMaxRecipients, "more recipients than the limit");
  check(one_line(d.reporting_mta) && one_line(d.arrival_date), "a report value not one line",
        d.reporting_mta + "|" + d.arrival_date);
  bool failed = false;
  for (const auto& r : d.recipients) {
    for (const std::string* v :
         {&r.status, &r.diagnostic_type, &r.diagnostic, &r.final_recipient, &r.remote_mta})
      check(one_line(*v), "a recipient value not one line", *v);
    check(status_form(r.status), "a status that is no RFC 3463 code", r.status);
    check(r.smtp_code == 0 || (r.smtp_code >= 200 && r.smtp_code <= 599), "a bad reply code",
          std::to_string(r.smtp_code));
    failed = failed || r.action == DsnAction::failed;
  }
  check(d.is_bounce() == (d.form != DsnForm::none && failed), "is_bounce disagrees");
  if (d.form == DsnForm::none) {
    check(d.recipients.empty() && d.returned_headers.empty(), "no report, yet it has contents");
    check(d.primary() == nullptr, "no report, yet a primary recipient");
  } else {
    check(may_be_dsn(text), "a report whose header may_be_dsn refuses");
  }
  for (const auto& v : header_fields(d.returned_headers, "X-Mailcanary-Token"))
    if (!v.empty())
      check(d.returns_token(v) == (d.form != DsnForm::none), "a returned token not found", v);
  for (std::string_view t : {"x", "4f9c2b7e1a3d5c6b8e0f1a2b3c4d5e6f"})
    if (d.returns_token(t))
      check(d.returned_headers.find(t) != std::string::npos, "a token returned from nowhere");
  check(!d.returns_token(""), "the empty token returned");

  const mc::ServerReply reply = bounce_reply(d);
  check(reply.text.find_first_of("\r\n") == std::string::npos, "a reply text not one line",
        reply.text);
  check(reply.enhanced == (d.primary() ? d.primary()->status : ""), "a reply's enhanced code");

  const Message m = parse_message(text);
  check(m.leaves.size() <= kMaxParts, "more leaves than the limit");
  return 0;
}
