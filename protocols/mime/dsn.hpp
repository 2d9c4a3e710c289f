// Delivery status notifications: the message a mail platform sends back to the sender of a
// message it accepted and then could not deliver. Read from the full text of a message (what
// an IMAP `BODY.PEEK[]<0.65536>` returns), in two forms:
//   rfc3464     multipart/report; report-type=delivery-status with a message/delivery-status
//               part (Postfix, Exim 4, Gmail, Microsoft 365 / Exchange, Sendmail; RFC 6533's
//               message/global-delivery-status too), the returned message as a message/rfc822
//               or text/rfc822-headers part;
//   plain_text  the older bounces that are only text, sent by a mailer daemon: Exim's "Mail
//               delivery failed: returning message to sender" and qmail's "failure notice",
//               each with the returned message after its marker line (or attached).
// A message that only quotes such text, or a token, is neither: the form needs the report's
// structure, or the bounce text from a mailer daemon with its returned-message marker.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "codec/enum_names.hpp"
#include "codec/failure.hpp"

namespace mc::proto::mime {

// The most of a message that is read; the rest is ignored (the returned message's header,
// which carries the token, comes well before it in every form).
inline constexpr std::size_t kDsnMaxBytes = 64 * 1024;
// Recipients kept per report; values (diagnostics, addresses) are cut at kDsnMaxValue bytes.
inline constexpr std::size_t kDsnMaxRecipients = 100;
inline constexpr std::size_t kDsnMaxValue = 1000;

enum class DsnForm { none, rfc3464, plain_text };

// RFC 3464 section 2.3.3. `unknown` when the field is missing or holds something else.
enum class DsnAction { failed, delayed, delivered, relayed, expanded, unknown };

inline constexpr EnumName<DsnAction> kDsnActionNames[] = {
    {DsnAction::failed, "failed"},       {DsnAction::delayed, "delayed"},
    {DsnAction::delivered, "delivered"}, {DsnAction::relayed, "relayed"},
    {DsnAction::expanded, "expanded"},   {DsnAction::unknown, "unknown"},
};
static_assert(names_all(kDsnActionNames, DsnAction::unknown), "a DsnAction without its name");

std::string_view to_string(DsnAction a);

// One per-recipient block. Values are unfolded, on one line, without their type prefix.
struct DsnRecipient {
  // A missing or unknown Action with a permanent (5.x.x) Status reads as `failed`.
  DsnAction action = DsnAction::unknown;
  std::string status;           // "5.1.1", "4.4.7", "5.1.10"; "" when missing or malformed
  std::string diagnostic_type;  // "smtp", "X-Postfix"; "" for plain_text bounces
  std::string diagnostic;       // "550 5.1.1 <nobody@bounce.test>: Recipient address rejected..."
  std::string final_recipient;  // "nobody@bounce.test" (the address type "rfc822;" removed)
  std::string remote_mta;       // "mx.example.com" when the report names it
  int smtp_code = 0;            // the reply code the diagnostic starts with (550), or 0
};

struct Dsn {
  DsnForm form = DsnForm::none;
  std::string reporting_mta;  // "mail.example.test" (Reporting-MTA; plain_text: the daemon's host)
  std::string arrival_date;   // as written, "" when absent
  std::vector<DsnRecipient> recipients;
  // The header block of the returned message, transfer-decoded; "" when the report returns
  // none (or only the body).
  std::string returned_headers;

  // True when some recipient failed: the message will not be delivered to it. A report whose
  // recipients are only `delayed` (a warning: delivery is still being tried) is no bounce, nor
  // is one of `delivered`, `relayed` or `expanded` (success notices).
  bool is_bounce() const;
  // The first failed recipient, else the first one; nullptr when there are none.
  const DsnRecipient* primary() const;
  // True when the returned message has an X-Mailcanary-Token field whose value is exactly
  // `token`: the report is about that probe. A token anywhere else never counts.
  bool returns_token(std::string_view token) const;
};

// Reads at most kDsnMaxBytes of `message` (a header block, an empty line and the body; CRLF or
// LF). Any input gives an answer: form `none` when it is no delivery report.
Dsn parse_dsn(std::string_view message);

// Whether a message with this header block may be a report, so that its full text is worth
// fetching: a multipart/report, or a message from a mailer daemon (From MAILER-DAEMON@ or
// postmaster@, or an empty Return-Path).
bool may_be_dsn(std::string_view header_block);

// The server's words for a bounce's failure: `enhanced` the Status, `code` the SMTP reply code
// of the diagnostic (0 when it has none), `text` the diagnostic and the reporting MTA:
// "550 5.1.1 <nobody@bounce.test>: ... (reported by mail.example.test)".
ServerReply bounce_reply(const Dsn& dsn);

}  // namespace mc::proto::mime
