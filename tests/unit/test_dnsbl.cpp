// The block-list core: query names (RFC 5782 section 2.1 and 2.4), what each kind of answer
// means — lists' error codes that peers report as listings among them — the TXT reason, and
// the sending server's address from real Received: fields.
#include <catch2/catch.hpp>

#include <string>

#include "protocols/dns/dnsbl.hpp"
#include "protocols/mime/received_from.hpp"

namespace {

using namespace mc::proto::dns;
using mc::proto::mime::received_from_address;
using mc::proto::mime::sending_address;

Answer a_records(std::vector<std::string> codes) {
  Answer a;
  a.status = Status::ok;
  a.addresses = std::move(codes);
  return a;
}

Answer with_status(Status s) {
  Answer a;
  a.status = s;
  return a;
}

}  // namespace

TEST_CASE("dnsbl: query names of addresses and domains", "[dnsbl]") {
  // RFC 5782 section 2.1: octets reversed; section 2.4: nibbles reversed.
  CHECK(address_query("192.0.2.99", "bad.example.com") == "99.2.0.192.bad.example.com");
  CHECK(address_query("2001:db8:1:2:3:4:567:89ab", "ugly.example.com") ==
        "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com");
  CHECK(address_query("2001:DB8::1", "Zen.Spamhaus.ORG.") ==
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org");
  CHECK(address_query("::ffff:192.0.2.7", "bl.test") == "7.2.0.192.bl.test");
  CHECK(address_query("127.0.0.2", "bl.test") == "2.0.0.127.bl.test");
  CHECK_FALSE(address_query("192.0.2", "bl.test"));
  CHECK_FALSE(address_query("192.0.2.256", "bl.test"));
  CHECK_FALSE(address_query("mail.example.com", "bl.test"));
  CHECK_FALSE(address_query("192.0.2.7", "bad..zone"));
  CHECK_FALSE(address_query("192.0.2.7", ""));
  CHECK(domain_query("Example.COM.", "dbl.spamhaus.org") == "example.com.dbl.spamhaus.org");
  CHECK_FALSE(domain_query("-bad.example", "dbl.test"));
  CHECK_FALSE(domain_query(std::string(62, 'a') + "." + std::string(62, 'b') + "." +
                               std::string(62, 'c') + "." + std::string(62, 'd'),
                           "dbl.test"));  // the name would pass 253 bytes
  CHECK(canonical_address("2001:0db8:0000::0001") == "2001:db8::1");
  CHECK(canonical_address(" 192.0.2.7") == std::nullopt);
  CHECK(canonical_address(std::string("192.0.2.7\0x", 11)) == std::nullopt);
  CHECK(canonical_address(std::string("::1\0", 4)) == std::nullopt);
  CHECK(valid_name("zen.spamhaus.org."));
  CHECK_FALSE(valid_name("zen spamhaus.org"));
  CHECK_FALSE(valid_name(std::string(64, 'a') + ".test"));
}

TEST_CASE("dnsbl: public addresses", "[dnsbl]") {
  for (const char* a : {"192.0.2.7", "203.0.113.5", "8.8.8.8", "2001:db8::7", "2a00:1450::1"})
    CHECK(is_public_address(a));
  for (const char* a : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                        "100.64.0.1", "169.254.1.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
                        "::1", "::", "fe80::1", "fd00::1", "ff02::1", "::ffff:10.0.0.1", "x"})
    CHECK_FALSE(is_public_address(a));
  CHECK(is_public_address("172.32.0.1"));
  CHECK(is_public_address("100.128.0.1"));
}

TEST_CASE("dnsbl: each kind of answer", "[dnsbl]") {
  // Listings: Spamhaus ZEN's SBL and XBL codes, several at once, DBL's 127.0.1.x.
  auto c = classify("zen.spamhaus.org", a_records({"127.0.0.2"}));
  CHECK(c.verdict == Verdict::listed);
  CHECK(c.codes == std::vector<std::string>{"127.0.0.2"});
  CHECK(classify("zen.spamhaus.org", a_records({"127.0.0.4", "127.0.0.10"})).verdict ==
        Verdict::listed);
  CHECK(classify("dbl.spamhaus.org", a_records({"127.0.1.2"})).verdict == Verdict::listed);
  CHECK(classify("bl.spamcop.net", a_records({"127.0.0.255"})).verdict == Verdict::listed);
  CHECK(classify("bl.test", with_status(Status::nxdomain)).verdict == Verdict::clean);

  // The answers lists give to refused queries: unknown, never a listing.
  for (const char* code : {"127.255.255.252", "127.255.255.254", "127.255.255.255"}) {
    INFO(code);
    const auto u = classify("zen.spamhaus.org", a_records({code}));
    CHECK(u.verdict == Verdict::unknown);
    CHECK(u.codes == std::vector<std::string>{code});
    // Mirrors and resellers of Spamhaus's data, under any name, answer the same.
    CHECK(classify("zen.dnsbl.example.net", a_records({code})).verdict == Verdict::unknown);
  }
  CHECK(classify("zen.spamhaus.org", a_records({"127.255.255.254"})).why ==
        "answered 127.255.255.254: the list's error code for a query through a public or open "
        "resolver");
  CHECK(classify("multi.uribl.com", a_records({"127.0.0.1"})).verdict == Verdict::unknown);
  CHECK(classify("bl.test", a_records({"127.0.0.1"})).verdict == Verdict::unknown);
  CHECK(classify("dbl.spamhaus.org", a_records({"127.0.1.255"})).verdict == Verdict::unknown);
  CHECK(classify("other.test", a_records({"127.0.1.255"})).verdict == Verdict::listed);
  // An error code among listings spoils the answer.
  CHECK(classify("zen.spamhaus.org", a_records({"127.0.0.2", "127.255.255.254"})).verdict ==
        Verdict::unknown);
  // A resolver that answers every name (a captive portal, an ISP's "search" page).
  const auto hijack = classify("bl.test", a_records({"198.51.100.80"}));
  CHECK(hijack.verdict == Verdict::unknown);
  CHECK(hijack.why ==
        "answered 198.51.100.80, outside 127.0.0.0/8 (a resolver that answers names that do not "
        "exist?)");
  CHECK(classify("bl.test", a_records({"127.0.0.0"})).verdict == Verdict::unknown);
  CHECK(classify("bl.test", a_records({std::string("127.0.0.2\0\0", 11)})).verdict ==
        Verdict::unknown);
  CHECK(classify("bl.test", a_records({"::1"})).verdict == Verdict::unknown);
  CHECK(classify("bl.test", a_records({})).verdict == Verdict::unknown);
  for (Status s :
       {Status::nodata, Status::servfail, Status::refused, Status::timeout, Status::error})
    CHECK(classify("bl.test", with_status(s)).verdict == Verdict::unknown);
  CHECK(classify("bl.test", with_status(Status::servfail)).why == "SERVFAIL");
  CHECK(classify("bl.test", with_status(Status::timeout)).why == "no answer in time");
}

TEST_CASE("dnsbl: the TXT reason of a listing", "[dnsbl]") {
  Answer t;
  t.status = Status::ok;
  t.txt = {"https://www.spamhaus.org/query/ip/192.0.2.2"};
  CHECK(listing_reason(t) == "https://www.spamhaus.org/query/ip/192.0.2.2");
  t.txt = {"Listed by SBL", "see https://www.spamhaus.org/sbl/query/SBL1"};
  CHECK(listing_reason(t) == "Listed by SBL / see https://www.spamhaus.org/sbl/query/SBL1");
  t.txt = {"line\r\nbreak\x01"};
  CHECK(listing_reason(t) == "line??break?");
  t.txt = {std::string(1000, 'x')};
  CHECK(listing_reason(t).size() == kMaxReason);
  t.status = Status::servfail;
  CHECK(listing_reason(t).empty());
}

TEST_CASE("dnsbl: the sending address of real Received fields", "[dnsbl]") {
  // Postfix
  CHECK(received_from_address("from mail.example.com (mail.example.com [203.0.113.5]) by "
                              "mx.example.net (Postfix) with ESMTPS id 4Sf1; Tue, 1 Dec 2026 "
                              "10:00:00 +0000") == "203.0.113.5");
  CHECK(received_from_address("from [192.168.1.20] (unknown [IPv6:2001:db8::25]) by smtp.example "
                              "(Postfix) with ESMTPSA id X") == "2001:db8::25");
  // Gmail
  CHECK(
      received_from_address(
          "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n"
          "        by mx.google.com with SMTPS id a1sor; Tue, 01 Dec 2026 10:00:00 -0800 (PST)") ==
      "209.85.220.41");
  // Exim, with the sender's own claim in helo=, which is never read
  CHECK(received_from_address("from host.example.org ([198.51.100.7] helo=[10.0.0.1]) by "
                              "mx.example.net with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 "
                              "(Exim 4.96) id 1abc") == "198.51.100.7");
  CHECK(received_from_address("from [198.51.100.8] (helo=[203.0.113.9]) by mx.example.net with "
                              "esmtp (Exim 4.96)") == "198.51.100.8");
  // qmail
  CHECK(received_from_address("from unknown (HELO mail.example.com) (198.51.100.9) by "
                              "mx.example.net with SMTP; 1 Dec 2026 10:00:00 -0000") ==
        "198.51.100.9");
  // Microsoft 365, internal hops by bare IPv6
  CHECK(received_from_address("from AM6PR05MB1234.eurprd05.prod.outlook.com "
                              "(2603:10a6:20b:3a::12) by AM6PR05MB5678.eurprd05.prod.outlook.com "
                              "(2603:10a6:20b:3b::13) with Microsoft SMTP Server") ==
        "2603:10a6:20b:3a::12");
  // sendmail's "may be forged" and a claim only
  CHECK(received_from_address("from mx.example.com (host.example.com [192.0.2.44] (may be "
                              "forged)) by relay.example.net (8.17.1/8.17.1)") == "192.0.2.44");
  CHECK(received_from_address("from [192.0.2.45] by relay.example.net") == "192.0.2.45");
  // No address, no from clause, no trace field
  CHECK_FALSE(received_from_address("from localhost by mail.example.test (Postfix)"));
  CHECK_FALSE(received_from_address("by mail.example.test (Postfix, from userid 0) id 1"));
  CHECK_FALSE(received_from_address("(qmail 123 invoked by uid 0); 1 Dec 2026"));
  CHECK_FALSE(received_from_address("from x ([unterminated"));
}

TEST_CASE("dnsbl: the sending server is the oldest public address after the submission",
          "[dnsbl]") {
  // Sent through the sender's platform to Microsoft 365, whose own hops are public IPv6.
  const std::string header =
      "Received: from AM6PR05MB1234.eurprd05.prod.outlook.com (2603:10a6:20b:3a::12)\r\n"
      "\tby AM6PR05MB5678.eurprd05.prod.outlook.com (2603:10a6:20b:3b::13) with Microsoft SMTP "
      "Server; Tue, 1 Dec 2026 10:00:03 +0000\r\n"
      "Received: from out.sender.example (203.0.113.5) by\r\n"
      "\tAM6PR05MB1234.eurprd05.prod.outlook.com (2603:10a6:20b:3a::12) with Microsoft SMTP "
      "Server; Tue, 1 Dec 2026 10:00:02 +0000\r\n"
      "Received: from localhost (localhost [127.0.0.1])\r\n"
      "\tby out.sender.example (Postfix) with ESMTP id B; Tue, 1 Dec 2026 10:00:01 +0000\r\n"
      "Received: from probe (probe [198.51.100.99])\r\n"
      "\tby out.sender.example (Postfix) with ESMTPSA id C; Tue, 1 Dec 2026 10:00:00 +0000\r\n"
      "Subject: x\r\n\r\nReceived: from body (body [192.0.2.1]) by nowhere\r\n";
  CHECK(sending_address(header) == "203.0.113.5");
  // Gmail: the one field with a from clause.
  CHECK(sending_address("Received: by 2002:a05:6520:1234:b0:2a1:1a2b:3c4d with SMTP id x;\r\n"
                        "        Tue, 1 Dec 2026 02:00:01 -0800 (PST)\r\n"
                        "Received: from out.sender.example (out.sender.example. [203.0.113.6])\r\n"
                        "        by mx.google.com with ESMTPS id y;\r\n"
                        "        Tue, 01 Dec 2026 02:00:00 -0800 (PST)\r\n\r\n") == "203.0.113.6");
  // A round trip within one platform has no sending server on the internet.
  CHECK_FALSE(
      sending_address("Received: from localhost (localhost [127.0.0.1]) by mail.test "
                      "(Postfix) with ESMTPSA id D\r\n\r\n"));
  CHECK_FALSE(
      sending_address("Received: from probe (probe [198.51.100.99]) by mail.test "
                      "(Postfix) with ESMTPSA id E\r\n\r\n"));
  CHECK_FALSE(sending_address(""));
}
