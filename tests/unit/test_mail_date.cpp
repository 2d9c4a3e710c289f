// Header dates, for the real delivery time of late probes.
#include <catch2/catch.hpp>

#include "protocols/mail_date.hpp"

using mc::proto::parse_rfc5322_date;
using mc::proto::topmost_received_date;

TEST_CASE("RFC 5322 dates with and without day name, seconds and numeric zones", "[date]") {
  // 2026-11-23T12:00:00Z
  const std::int64_t noon = 1795435200;
  CHECK(parse_rfc5322_date("Mon, 23 Nov 2026 12:00:00 +0000") == noon);
  CHECK(parse_rfc5322_date("23 Nov 2026 12:00:00 +0000") == noon);
  CHECK(parse_rfc5322_date("Mon, 23 Nov 2026 13:30:00 +0130") == noon);
  CHECK(parse_rfc5322_date("Mon, 23 Nov 2026 07:00:00 -0500") == noon);
  CHECK(parse_rfc5322_date("Mon, 23 Nov 2026 12:00 GMT") == noon);
  CHECK(parse_rfc5322_date("  Mon, 23 Nov 2026 12:00:00 +0000 (UTC)") == noon);
  CHECK(parse_rfc5322_date("Thu, 1 Jan 1970 00:00:01 +0000") == 1);
  CHECK(parse_rfc5322_date("Sun, 29 Feb 2032 00:00:00 +0000") == 1961625600);
}

TEST_CASE("RFC 5322 dates: anything else is refused", "[date]") {
  for (const char* bad :
       {"", "yesterday", "Mon 23 Nov 2026 12:00:00 +0000", "23 Foo 2026 12:00 +0000",
        "23 Nov 2026 25:00:00 +0000", "23 Nov 2026 12:00:00", "23 Nov 2026 12 +0000"})
    CHECK_FALSE(parse_rfc5322_date(bad).has_value());
}

TEST_CASE("the topmost Received: header's date, folded or not", "[date]") {
  const char* headers =
      "Return-Path: <probe@example.test>\r\n"
      "Delivered-To: probe@example.test\r\n"
      "Received: from mail.example.test\r\n"
      "\tby mail.example.test with LMTP\r\n"
      "\tid 0Dk1C; Mon, 23 Nov 2026 12:00:05 +0000\r\n"
      "Received: from client by mx; Mon, 23 Nov 2026 12:00:00 +0000\r\n"
      "Subject: x\r\n\r\n";
  CHECK(topmost_received_date(headers) == 1795435205);
  CHECK_FALSE(topmost_received_date("Subject: no hops\r\n\r\n").has_value());
  CHECK_FALSE(topmost_received_date("Received: from a by b with no date\r\n").has_value());
}
