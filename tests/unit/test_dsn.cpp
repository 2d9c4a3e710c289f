// Delivery status notifications as real platforms send them (tests/unit/dsn/*.eml): Postfix,
// Exim (RFC 3464 and its old plain text), qmail, Gmail, Microsoft 365; delay warnings that are
// no bounce; reports about another message; and mail that only quotes a token or a bounce.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "codec/base64.hpp"
#include "protocols/mime/dsn.hpp"

using namespace mc::proto::mime;

namespace {

const std::string kToken = "4f9c2b7e1a3d5c6b8e0f1a2b3c4d5e6f";

std::string sample(const std::string& name) {
  std::ifstream in(std::string(MAILCANARY_SOURCE_DIR) + "/tests/unit/dsn/" + name,
                   std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

std::string crlf(const std::string& lf) {
  return replaced(lf, "\n", "\r\n");
}

const DsnRecipient& only_recipient(const Dsn& d) {
  REQUIRE(d.recipients.size() == 1);
  return d.recipients.front();
}

}  // namespace

TEST_CASE("Postfix: a bounce with the returned headers as text/rfc822-headers", "[dsn]") {
  const std::string lf = sample("postfix-rfc822-headers.eml");
  for (const std::string& text : {lf, crlf(lf)}) {
    const Dsn d = parse_dsn(text);
    CHECK(d.form == DsnForm::rfc3464);
    CHECK(d.is_bounce());
    CHECK(d.reporting_mta == "mx1.example.net");
    CHECK(d.arrival_date == "Tue, 1 Dec 2026 12:00:02 +0100 (CET)");
    const DsnRecipient& r = only_recipient(d);
    CHECK(r.action == DsnAction::failed);
    CHECK(r.status == "5.1.1");
    CHECK(r.diagnostic_type == "smtp");
    CHECK(r.diagnostic ==
          "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual "
          "mailbox table");
    CHECK(r.smtp_code == 550);
    CHECK(r.final_recipient == "nobody@example.net");
    CHECK(r.remote_mta == "mailstore.example.net");
    CHECK(d.returns_token(kToken));
    CHECK_FALSE(d.returns_token(kToken.substr(0, 16)));
    CHECK_FALSE(d.returns_token(""));

    const mc::ServerReply reply = bounce_reply(d);
    CHECK(reply.code == 550);
    CHECK(reply.enhanced == "5.1.1");
    CHECK(reply.text == r.diagnostic + " (reported by mx1.example.net)");
    CHECK(reply.status.empty());
  }
}

TEST_CASE("Postfix 3.7: the e2e platform's own bounce, the whole message returned", "[dsn]") {
  // Written by the e2e platform (tests/e2e/mailservers.sh) for nobody@bounce.test: Dovecot's
  // LMTP refused the recipient after Postfix had accepted it.
  const Dsn d = parse_dsn(sample("postfix-lmtp-message-rfc822.eml"));
  CHECK(d.form == DsnForm::rfc3464);
  CHECK(d.is_bounce());
  CHECK(d.reporting_mta == "mail.example.test");
  const DsnRecipient& r = only_recipient(d);
  CHECK(r.status == "5.1.1");
  CHECK(r.diagnostic == "550 5.1.1 <nobody@bounce.test> User doesn't exist: nobody@bounce.test");
  CHECK(r.final_recipient == "nobody@bounce.test");
  CHECK(d.returns_token(kToken));
  CHECK(bounce_reply(d).text ==
        "550 5.1.1 <nobody@bounce.test> User doesn't exist: nobody@bounce.test (reported by "
        "mail.example.test)");
}

TEST_CASE("Exim: an RFC 3464 report with the whole returned message", "[dsn]") {
  const Dsn d = parse_dsn(sample("exim-rfc3464.eml"));
  CHECK(d.form == DsnForm::rfc3464);
  CHECK(d.is_bounce());
  CHECK(d.reporting_mta == "mx.example.org");
  CHECK(d.arrival_date.empty());
  const DsnRecipient& r = only_recipient(d);
  CHECK(r.action == DsnAction::failed);
  CHECK(r.status == "5.0.0");  // Exim's own, however specific the remote reply was
  CHECK(r.diagnostic ==
        "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual "
        "mailbox table");
  CHECK(r.remote_mta == "mx2.example.org");
  CHECK(r.final_recipient == "nobody@example.org");
  CHECK(d.returns_token(kToken));
}

TEST_CASE("Exim: the old plain-text bounce with the message after its marker", "[dsn]") {
  const std::string lf = sample("exim-plain-text.eml");
  for (const std::string& text : {lf, crlf(lf)}) {
    const Dsn d = parse_dsn(text);
    CHECK(d.form == DsnForm::plain_text);
    CHECK(d.is_bounce());
    CHECK(d.reporting_mta == "mx.example.org");
    const DsnRecipient& r = only_recipient(d);
    CHECK(r.action == DsnAction::failed);
    CHECK(r.final_recipient == "nobody@example.org");
    CHECK(r.diagnostic ==
          "SMTP error from remote mail server after RCPT TO:<nobody@example.org>: host "
          "mx2.example.org [192.0.2.25]: 550 5.1.1 <nobody@example.org>... User unknown");
    CHECK(r.status == "5.1.1");
    CHECK(r.smtp_code == 550);
    CHECK(r.diagnostic_type.empty());
    CHECK(d.returns_token(kToken));
    CHECK(bounce_reply(d).enhanced == "5.1.1");
  }
}

TEST_CASE("qmail: a failure notice", "[dsn]") {
  const Dsn d = parse_dsn(sample("qmail-failure-notice.eml"));
  CHECK(d.form == DsnForm::plain_text);
  CHECK(d.is_bounce());
  CHECK(d.reporting_mta == "mx.example.com");
  const DsnRecipient& r = only_recipient(d);
  CHECK(r.final_recipient == "nobody@example.com");
  CHECK(r.status == "5.1.1");
  CHECK(r.smtp_code == 550);
  CHECK(r.diagnostic.rfind("192.0.2.77 does not like recipient. Remote host said: 550", 0) == 0);
  CHECK(d.returns_token(kToken));
}

TEST_CASE("Gmail: Delivery Status Notification (Failure), nested parts and all", "[dsn]") {
  const Dsn d = parse_dsn(sample("gmail-failure.eml"));
  CHECK(d.form == DsnForm::rfc3464);
  CHECK(d.is_bounce());
  CHECK(d.reporting_mta == "googlemail.com");
  CHECK(d.arrival_date == "Tue, 01 Dec 2026 04:00:01 -0800 (PST)");
  const DsnRecipient& r = only_recipient(d);
  CHECK(r.status == "5.1.1");
  CHECK(r.smtp_code == 550);
  CHECK(r.diagnostic.rfind("550-5.1.1 The email account that you tried to reach does not exist. "
                           "Please try 550-5.1.1 double-checking",
                           0) == 0);
  CHECK(r.remote_mta.rfind("gmail-smtp-in.l.google.com.", 0) == 0);
  CHECK(r.final_recipient == "nobody@gmail.com");
  CHECK(d.returns_token(kToken));
}

TEST_CASE("Microsoft 365: an Undeliverable NDR with a three-digit status detail", "[dsn]") {
  const Dsn d = parse_dsn(crlf(sample("microsoft365-ndr.eml")));
  CHECK(d.form == DsnForm::rfc3464);
  CHECK(d.is_bounce());
  CHECK(d.reporting_mta == "AM9PR01MB7890.eurprd01.prod.exchangelabs.com");
  const DsnRecipient& r = only_recipient(d);
  CHECK(r.status == "5.1.10");
  CHECK(r.diagnostic_type == "smtp");
  CHECK(r.diagnostic ==
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup");
  CHECK(r.smtp_code == 550);
  CHECK(r.remote_mta == "fabrikam-com.mail.protection.outlook.com");
  CHECK(d.returns_token(kToken));
}

TEST_CASE("a delay warning is a report about the probe but no bounce", "[dsn]") {
  const Dsn postfix = parse_dsn(sample("postfix-delayed.eml"));
  CHECK(postfix.form == DsnForm::rfc3464);
  CHECK_FALSE(postfix.is_bounce());
  CHECK(postfix.returns_token(kToken));
  const DsnRecipient& r = only_recipient(postfix);
  CHECK(r.action == DsnAction::delayed);
  CHECK(r.status == "4.4.1");
  CHECK(r.diagnostic_type == "X-Postfix");
  CHECK(r.diagnostic == "connect to mx.example.org[192.0.2.25]:25: Connection timed out");
  CHECK(postfix.primary() == &r);

  const Dsn exim = parse_dsn(sample("exim-plain-delayed.eml"));
  CHECK(exim.form == DsnForm::plain_text);
  CHECK_FALSE(exim.is_bounce());
  CHECK(exim.returns_token(kToken));
  CHECK(only_recipient(exim).action == DsnAction::delayed);
  CHECK(only_recipient(exim).final_recipient == "user@example.com");
  CHECK(only_recipient(exim).status == "4.7.1");
}

TEST_CASE("a bounce of another message does not return this probe's token", "[dsn]") {
  const std::string other = "0123456789abcdef0123456789abcdef";
  for (const char* name : {"postfix-rfc822-headers.eml", "postfix-lmtp-message-rfc822.eml",
                           "exim-rfc3464.eml", "exim-plain-text.eml", "qmail-failure-notice.eml",
                           "gmail-failure.eml", "microsoft365-ndr.eml"}) {
    INFO(name);
    const Dsn d = parse_dsn(replaced(sample(name), kToken, other));
    CHECK(d.is_bounce());
    CHECK(d.returns_token(other));
    CHECK_FALSE(d.returns_token(kToken));
  }
  // Our token in other fields of the returned message (its Message-ID, a Subject) is no match.
  const std::string moved =
      replaced(sample("postfix-rfc822-headers.eml"), "X-Mailcanary-Token: " + kToken, "X-Other: x");
  CHECK(moved.find(kToken) != std::string::npos);
  CHECK_FALSE(parse_dsn(moved).returns_token(kToken));
}

TEST_CASE("mail that only quotes a token or a bounce is no report", "[dsn]") {
  for (const char* name : {"user-quotes-token.eml", "forwarded-report.eml", "read-receipt.eml"}) {
    INFO(name);
    const std::string text = sample(name);
    REQUIRE(text.find("X-Mailcanary-Token: " + kToken) != std::string::npos);
    const Dsn d = parse_dsn(text);
    CHECK(d.form == DsnForm::none);
    CHECK_FALSE(d.is_bounce());
    CHECK_FALSE(d.returns_token(kToken));
    CHECK(bounce_reply(d).text.empty());
  }
  // The bounce's words from a mailer daemon without the known form: a Return-Path of <> alone
  // does not make a bounce.
  const std::string daemon_note =
      "Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.org\nSubject: note\n\n"
      "Your mailbox is almost full.\nX-Mailcanary-Token: " +
      kToken + "\n";
  CHECK(parse_dsn(daemon_note).form == DsnForm::none);
  // The Exim text, but sent by a user: no bounce.
  const std::string by_user =
      replaced(sample("exim-plain-text.eml"), "Mail Delivery System <Mailer-Daemon@mx.example.org>",
               "Mallory <mallory@example.org>");
  CHECK(
      parse_dsn(replaced(by_user, "Return-path: <>", "Return-path: <mallory@example.org>")).form ==
      DsnForm::none);
}

TEST_CASE("may_be_dsn picks the candidates from the header block alone", "[dsn]") {
  for (const char* name : {"postfix-rfc822-headers.eml", "postfix-lmtp-message-rfc822.eml",
                           "exim-rfc3464.eml", "exim-plain-text.eml", "qmail-failure-notice.eml",
                           "gmail-failure.eml", "microsoft365-ndr.eml", "postfix-delayed.eml"}) {
    INFO(name);
    CHECK(may_be_dsn(sample(name)));
  }
  CHECK_FALSE(may_be_dsn(sample("user-quotes-token.eml")));
  CHECK_FALSE(may_be_dsn(sample("forwarded-report.eml")));
  CHECK_FALSE(may_be_dsn("From: postmaster-team@example.org\nSubject: hello\n\n"));
  CHECK(may_be_dsn("From: \"Postmaster\" <POSTMASTER@example.org>\n\n"));
}

TEST_CASE("report parts in base64 or quoted-printable are decoded", "[dsn]") {
  const std::string lf = sample("postfix-rfc822-headers.eml");
  const std::string status_head = "Content-Type: message/delivery-status\n\n";
  const std::string headers_head = "Content-Type: text/rfc822-headers\n\n";
  const auto status_at = lf.find(status_head) + status_head.size();
  const auto status_end = lf.find("\n--6A2F81C0B4E", status_at);
  std::string status = lf.substr(status_at, status_end - status_at);
  std::string encoded = mc::codec::base64_encode(status);
  for (std::size_t i = 76; i < encoded.size(); i += 77) encoded.insert(i, "\n");
  std::string text = lf.substr(0, status_at) + encoded + lf.substr(status_end);
  text = replaced(text, status_head,
                  "Content-Type: message/delivery-status\n"
                  "Content-Transfer-Encoding: base64\n\n");
  // The token's line broken by a soft line break, '=' written as =3D elsewhere.
  text = replaced(text, "X-Mailcanary-Token: " + kToken,
                  "X-Mailcanary-Token: " + kToken.substr(0, 10) + "=\n" + kToken.substr(10));
  text = replaced(text, "charset=us-ascii\n\n--6A2F81C0B4E.1796122803/mx1.example.net--",
                  "charset=3Dus-ascii\n\n--6A2F81C0B4E.1796122803/mx1.example.net--");
  text = replaced(text, headers_head,
                  "Content-Type: text/rfc822-headers\n"
                  "Content-Transfer-Encoding: Quoted-Printable\n\n");
  for (const std::string& t : {text, crlf(text)}) {
    const Dsn d = parse_dsn(t);
    CHECK(d.is_bounce());
    CHECK(d.reporting_mta == "mx1.example.net");
    CHECK(only_recipient(d).status == "5.1.1");
    CHECK(d.returns_token(kToken));
    CHECK(d.returned_headers.find("charset=us-ascii") != std::string::npos);
  }
}

TEST_CASE("a report cut anywhere is read as far as it goes", "[dsn][limits]") {
  const std::string text = sample("postfix-rfc822-headers.eml");
  const std::string line = "X-Mailcanary-Token: " + kToken + "\n";
  const auto token_end = text.find(line) + line.size();
  for (std::size_t n = 0; n <= text.size(); ++n) {
    const Dsn d = parse_dsn(std::string_view(text).substr(0, n));
    if (n >= token_end) REQUIRE(d.returns_token(kToken));
    if (n < token_end - 1) REQUIRE_FALSE(d.returns_token(kToken));
  }
}

TEST_CASE("a report reads at most kDsnMaxBytes, and keeps its limits", "[dsn][limits]") {
  // The returned header past the first 64 KiB is never read.
  const std::string postfix = sample("postfix-rfc822-headers.eml");
  const std::string padded = replaced(
      postfix, "Return-Path: <probe@example.test>\n",
      "Return-Path: <probe@example.test>\nX-Pad: " + std::string(kDsnMaxBytes, 'x') + "\n");
  CHECK(parse_dsn(postfix).returns_token(kToken));
  CHECK(parse_dsn(padded).is_bounce());
  CHECK_FALSE(parse_dsn(padded).returns_token(kToken));

  std::string many =
      "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
      "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n";
  for (int i = 0; i < 500; ++i)
    many += "\nFinal-Recipient: rfc822; u" + std::to_string(i) +
            "@x\n"
            "Action: failed\nStatus: 5.1.1\n";
  const Dsn d = parse_dsn(many + "--b--\n");
  CHECK(d.recipients.size() == kDsnMaxRecipients);

  const std::string diag =
      "Content-Type: multipart/report; report-type=delivery-status; "
      "boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n"
      "Final-Recipient: rfc822; u@x\nAction: failed\nDiagnostic-Code: smtp; " +
      std::string(5000, 'a') + "\n--b--\n";
  CHECK(only_recipient(parse_dsn(diag)).diagnostic.size() == kDsnMaxValue);

  // Multiparts nested ever deeper end where the depth limit is.
  std::string nested;
  for (int i = 0; i < 200; ++i)
    nested += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" +
              std::to_string(i) + "\n";
  CHECK(parse_dsn("Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n"
                  "--x\n" +
                  nested)
            .recipients.empty());
}

TEST_CASE("per-recipient fields as sloppy reporters write them", "[dsn]") {
  const auto one = [](const std::string& block) {
    const Dsn d = parse_dsn(
        "Content-Type: Multipart/Report; Report-Type=\"delivery-status\"; boundary=\"b;c\"\n\n"
        "preamble\n--b;c  \nContent-Type: message/delivery-status\n\n\n"
        "Reporting-MTA: dns;mx.example.org\n\n" +
        block + "\n--b;c--\n");
    REQUIRE(d.form == DsnForm::rfc3464);
    return only_recipient(d);
  };
  CHECK(one("Final-Recipient: rfc822; <u@x>\nAction: FAILED (bad mailbox)\nStatus: 5.1.1 (bad)")
            .action == DsnAction::failed);
  CHECK(one("Final-Recipient: rfc822; <u@x>\nAction: FAILED\n").final_recipient == "u@x");
  CHECK(one("Final-Recipient: rfc822; u@x\nStatus: 5.7.1\n").action == DsnAction::failed);
  CHECK(one("Final-Recipient: rfc822; u@x\nStatus: 4.7.1\n").action == DsnAction::unknown);
  CHECK(one("Final-Recipient: rfc822; u@x\nAction: delivered\nStatus: 2.0.0\n").action ==
        DsnAction::delivered);
  CHECK(one("Final-Recipient: rfc822; u@x\nAction: failed\nStatus: 5.1\n").status.empty());
  CHECK(one("Final-Recipient: rfc822; u@x\nAction: failed\nStatus: 5.1.1000\n").status.empty());
  CHECK(one("Original-Recipient: rfc822; o@x\nAction: failed\n").final_recipient == "o@x");
  CHECK(one("Final-Recipient: rfc822; u@x\nAction: failed\nDiagnostic-Code: no type given\n")
            .diagnostic == "no type given");
  // A report with only successes or nothing failed is no bounce.
  CHECK_FALSE(parse_dsn("Content-Type: multipart/report; report-type=delivery-status; boundary=b\n"
                        "\n--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: "
                        "rfc822; u@x\nAction: relayed\n--b--\n")
                  .is_bounce());
}

TEST_CASE("garbage is no report and never throws", "[dsn][limits]") {
  for (const std::string& g :
       {std::string(), std::string("\n\n\n"), std::string(3000, '-'), std::string("\0\r\r\n", 4),
        std::string("Content-Type: multipart/report; boundary=\n\n--\n--\n"),
        std::string("Content-Type: multipart/report; report-type=delivery-status; boundary=\"\n"),
        std::string("Content-Type: multipart/report; report-type=delivery-status; boundary=a\n\n"
                    "--a\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: "
                    "base64\n\n=====\n--a--"),
        std::string("From: MAILER-DAEMON@x\nContent-Type: text/plain\n"
                    "Content-Transfer-Encoding: quoted-printable\n\n=\n=4=ZZ=")}) {
    INFO(g);
    const Dsn d = parse_dsn(g);
    CHECK_FALSE(d.is_bounce());
    CHECK_FALSE(d.returns_token(kToken));
  }
}
