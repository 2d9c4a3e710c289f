// Received: fields as real platforms write them (Gmail, Microsoft 365 and on-premises Exchange,
// Postfix with TLS and Dovecot LMTP, amavis, Exim with rspamd, sendmail, qmail), folded as they
// arrive, and the hops, delays and clock skew read from a whole header block.
#include <catch2/catch.hpp>
#include <string>

#include "protocols/mime/received.hpp"

using namespace mc::proto::mime;

namespace {

constexpr std::int64_t kNoon = 1795435200;  // Mon, 23 Nov 2026 12:00:00 +0000

const std::string kGmail =
    "Delivered-To: probe@gmail.com\r\n"
    "Received: by 2002:a05:7300:5a1f:b0:f0:1234:5678 with SMTP id w31csp1234567dyi;\r\n"
    "        Mon, 23 Nov 2026 04:00:02 -0800 (PST)\r\n"
    "X-Received: by 2002:a17:906:1234:b0:a7a:1234:5678 with SMTP id "
    "a640c23a62f3a-a7a1234567mr1234567.12.1795435202123;\r\n"
    "        Mon, 23 Nov 2026 04:00:02 -0800 (PST)\r\n"
    "ARC-Seal: i=1; a=rsa-sha256; t=1795435202; cv=none; d=google.com; s=arc-20240605; b=Ab1\r\n"
    "Return-Path: <sender@example.com>\r\n"
    "Received: from mail.example.com (mail.example.com. [192.0.2.25])\r\n"
    "        by mx.google.com with ESMTPS id "
    "a640c23a62f3a-a7a1234567si1234567.66.2026.11.23.04.00.01\r\n"
    "        for <probe@gmail.com>\r\n"
    "        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);\r\n"
    "        Mon, 23 Nov 2026 04:00:01 -0800 (PST)\r\n"
    "Received-SPF: pass (google.com: domain of sender@example.com designates 192.0.2.25 as "
    "permitted sender) client-ip=192.0.2.25;\r\n"
    "Authentication-Results: mx.google.com;\r\n"
    "       dkim=pass header.i=@example.com header.s=mail header.b=Ab1Cd2Ef;\r\n"
    "       spf=pass smtp.mailfrom=sender@example.com\r\n"
    "Received: from client.example.com (client.example.com [198.51.100.7])\r\n"
    "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n"
    "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\r\n"
    "\t(No client certificate requested)\r\n"
    "\tby mail.example.com (Postfix) with ESMTPSA id 4XyZ1b2c3dz9sXY\r\n"
    "\tfor <probe@gmail.com>; Mon, 23 Nov 2026 12:00:00 +0000 (UTC)\r\n"
    "Date: Mon, 23 Nov 2026 12:00:00 +0000\r\n"
    "Subject: probe\r\n"
    "\r\n"
    "Received: from the-body.example by nobody; Mon, 23 Nov 2026 12:00:00 +0000\r\n";

// Exchange Online: the inbound edge, two mailbox servers, HTTPS to the store; folded anywhere.
const std::string kMicrosoft365 =
    "Received: from AM9PR04MB8506.eurprd04.prod.outlook.com (2603:10a6:20b:43f::16)\r\n"
    " by DB9PR04MB9426.eurprd04.prod.outlook.com with HTTPS; Mon, 23 Nov 2026\r\n"
    " 12:00:03 +0000\r\n"
    "Received: from AS9PR06CA0123.eurprd06.prod.outlook.com (2603:10a6:20b:467::15)\r\n"
    " by AM9PR04MB8506.eurprd04.prod.outlook.com (2603:10a6:20b:43f::16) with\r\n"
    " Microsoft SMTP Server (version=TLS1_2,\r\n"
    " cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7452.28; Mon, 23 Nov\r\n"
    " 2026 12:00:02 +0000\r\n"
    "Received: from AM4PEPF00027A5F.eurprd04.prod.outlook.com\r\n"
    " (2603:10a6:20b:467:cafe::2a) by AS9PR06CA0123.outlook.office365.com\r\n"
    " (2603:10a6:20b:467::15) with Microsoft SMTP Server (version=TLS1_2,\r\n"
    " cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7452.28 via Frontend\r\n"
    " Transport; Mon, 23 Nov 2026 12:00:02 +0000\r\n"
    "Received: from mail.example.com (192.0.2.25) by\r\n"
    " AM4PEPF00027A5F.mail.protection.outlook.com (10.167.16.74) with Microsoft SMTP\r\n"
    " Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.7452.22 via\r\n"
    " Frontend Transport; Mon, 23 Nov 2026 12:00:01 +0000\r\n"
    "X-MS-Exchange-Organization-SCL: 1\r\n"
    "Date: Mon, 23 Nov 2026 12:00:00 +0000\r\n"
    "\r\n";

// On-premises Exchange 2019: Outlook (MAPI) to the mailbox server, then a hub; times in +0100.
const std::string kExchange =
    "Received: from EXCH01.corp.example.com (10.0.0.11) by EXCH02.corp.example.com\r\n"
    " (10.0.0.12) with Microsoft SMTP Server (version=TLS1_2,\r\n"
    " cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2507.23; Mon, 23 Nov 2026\r\n"
    " 13:00:01 +0100\r\n"
    "Received: from EXCH01.corp.example.com ([fe80::1234:5678:9abc:def0]) by\r\n"
    " EXCH01.corp.example.com ([fe80::1234:5678:9abc:def0%12]) with mapi id\r\n"
    " 15.01.2507.023; Mon, 23 Nov 2026 13:00:00 +0100\r\n"
    "\r\n";

// The e2e platform's path: Postfix submission with TLS, then Dovecot's LMTP.
const std::string kPostfixDovecot =
    "Return-Path: <probe@example.test>\n"
    "Delivered-To: probe@example.test\n"
    "Received: from mail.example.test\n"
    "\tby mail.example.test with LMTP\n"
    "\tid 8Ke3LLzYYmWqCgAA1g4cSg\n"
    "\t(envelope-from <probe@example.test>)\n"
    "\tfor <probe@example.test>; Mon, 23 Nov 2026 12:00:01 +0000\n"
    "Received: from probe.example.test (localhost [127.0.0.1])\n"
    "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
    "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\n"
    "\t(No client certificate requested)\n"
    "\tby mail.example.test (Postfix) with ESMTPSA id 4Sf1XX2Yz1z9s\n"
    "\tfor <probe@example.test>; Mon, 23 Nov 2026 12:00:00 +0000 (UTC)\n"
    "Date: Mon, 23 Nov 2026 12:00:00 +0000\n"
    "\n";

// An MX with amavis (SpamAssassin) as a content filter, OpenDKIM as a milter.
const std::string kPostfixAmavis =
    "Received: from localhost (localhost [127.0.0.1])\r\n"
    "\tby mx.example.net (Postfix) with ESMTP id 4XyZ2c3d4fz1xyz\r\n"
    "\tfor <probe@example.net>; Mon, 23 Nov 2026 12:00:02 +0000 (UTC)\r\n"
    "X-Virus-Scanned: Debian amavisd-new at mx.example.net\r\n"
    "X-Spam-Status: No, score=-1.9 required=5.0 tests=BAYES_00,DKIM_SIGNED,\r\n"
    "\tDKIM_VALID,SPF_PASS autolearn=ham autolearn_force=no version=3.4.6\r\n"
    "Received: from mx.example.net ([127.0.0.1])\r\n"
    "\tby localhost (mx.example.net [127.0.0.1]) (amavisd-new, port 10024)\r\n"
    "\twith ESMTP id Ab1Cd2Ef3Gh4 for <probe@example.net>;\r\n"
    "\tMon, 23 Nov 2026 12:00:01 +0000 (UTC)\r\n"
    "Authentication-Results: mx.example.net;\r\n"
    "\tdkim=pass (2048-bit key; unprotected) header.d=example.com header.s=mail\r\n"
    "Received: from mail.example.com (mail.example.com [192.0.2.25])\r\n"
    "\t(using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits))\r\n"
    "\t(No client certificate requested)\r\n"
    "\tby mx.example.net (Postfix) with ESMTPS id 4XyZ2b1c2dz1abc\r\n"
    "\tfor <probe@example.net>; Mon, 23 Nov 2026 12:00:01 +0000 (UTC)\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=mail;\r\n"
    "\tt=1795435200; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; h=Date:From:To;\r\n"
    "\tb=kXlPqR2s\r\n"
    "Date: Mon, 23 Nov 2026 12:00:00 +0000\r\n"
    "\r\n";

// Exim with rspamd: the TLS version in a comment, the cipher in a `tls` word after it.
const std::string kEximRspamd =
    "X-Spamd-Result: default: False [-0.10 / 15.00];\r\n"
    "\tDMARC_POLICY_ALLOW(-0.50)[example.com,reject]\r\n"
    "X-Rspamd-Server: mx.example.org\r\n"
    "Received: from [198.51.100.7] (helo=client.example.com)\r\n"
    "\tby mx.example.org with esmtpsa  (TLS1.3) tls TLS_AES_256_GCM_SHA384\r\n"
    "\t(Exim 4.96)\r\n"
    "\t(envelope-from <sender@example.com>)\r\n"
    "\tid 1tABCD-000123-4E\r\n"
    "\tfor probe@example.org;\r\n"
    "\tMon, 23 Nov 2026 12:00:00 +0000\r\n"
    "\r\n";

const Received& only(const Hops& h) {
  REQUIRE(h.hops.size() == 1);
  return h.hops[0].received;
}

Received parsed(const std::string& value) {
  auto r = parse_received(value);
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("Received: Gmail's three hops, oldest first, X-Received and the body left out",
          "[received]") {
  const auto h = received_hops(kGmail);
  CHECK(h.unparsed == 0);
  REQUIRE(h.hops.size() == 3);
  const auto& postfix = h.hops[0].received;
  CHECK(postfix.from == "client.example.com");
  CHECK(postfix.by == "mail.example.com");
  CHECK(postfix.with == "ESMTPSA");
  CHECK(postfix.id == "4XyZ1b2c3dz9sXY");
  CHECK(postfix.tls == true);
  CHECK(postfix.tls_version == "TLSv1.3");
  CHECK(postfix.tls_cipher == "TLS_AES_256_GCM_SHA384");
  CHECK(postfix.at == kNoon);
  CHECK(h.hops[0].delay_s == 0);  // since the Date:
  const auto& mx = h.hops[1].received;
  CHECK(mx.from == "mail.example.com");
  CHECK(mx.by == "mx.google.com");
  CHECK(mx.with == "ESMTPS");
  CHECK(mx.id == "a640c23a62f3a-a7a1234567si1234567.66.2026.11.23.04.00.01");
  CHECK(mx.tls_version == "TLSv1.3");
  CHECK(mx.tls_cipher == "TLS_AES_256_GCM_SHA384");
  CHECK(mx.at == kNoon + 1);  // 04:00:01 -0800
  CHECK(h.hops[1].delay_s == 1);
  const auto& store = h.hops[2].received;
  CHECK(store.from.empty());
  CHECK(store.by == "2002:a05:7300:5a1f:b0:f0:1234:5678");
  CHECK(store.with == "SMTP");
  CHECK(store.tls == false);
  CHECK(h.hops[2].delay_s == 1);
  for (const auto& hop : h.hops) CHECK_FALSE(hop.skew);
}

TEST_CASE("Received: Microsoft 365, multi-word protocols, via and HTTPS to the store",
          "[received]") {
  const auto h = received_hops(kMicrosoft365);
  CHECK(h.unparsed == 0);
  REQUIRE(h.hops.size() == 4);
  const auto& edge = h.hops[0].received;
  CHECK(edge.from == "mail.example.com");
  CHECK(edge.by == "AM4PEPF00027A5F.mail.protection.outlook.com");
  CHECK(edge.with == "Microsoft SMTP Server");
  CHECK(edge.id == "15.20.7452.22");
  CHECK(edge.via == "Frontend Transport");
  CHECK(edge.tls == true);
  CHECK(edge.tls_version == "TLSv1.3");
  CHECK(edge.tls_cipher == "TLS_AES_256_GCM_SHA384");
  CHECK(h.hops[0].delay_s == 1);
  CHECK(h.hops[1].received.tls_version == "TLSv1.2");
  CHECK(h.hops[1].received.tls_cipher == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
  CHECK(h.hops[1].delay_s == 1);
  CHECK(h.hops[2].received.by == "AM9PR04MB8506.eurprd04.prod.outlook.com");
  CHECK(h.hops[2].received.via.empty());
  CHECK(h.hops[2].delay_s == 0);
  const auto& store = h.hops[3].received;
  CHECK(store.with == "HTTPS");
  CHECK(store.tls == true);
  CHECK(store.tls_version.empty());
  CHECK(store.at == kNoon + 3);  // the date was folded in two
  CHECK(h.hops[3].delay_s == 1);
}

TEST_CASE("Received: on-premises Exchange, MAPI then SMTP, in another time zone", "[received]") {
  const auto h = received_hops(kExchange, kNoon);
  REQUIRE(h.hops.size() == 2);
  CHECK(h.hops[0].received.with == "mapi");
  CHECK_FALSE(h.hops[0].received.tls.has_value());  // mapi says nothing about TLS
  CHECK(h.hops[0].received.id == "15.01.2507.023");
  CHECK(h.hops[0].received.at == kNoon);
  CHECK(h.hops[0].delay_s == 0);  // since the start given
  CHECK(h.hops[1].received.from == "EXCH01.corp.example.com");
  CHECK(h.hops[1].received.tls_version == "TLSv1.2");
  CHECK(h.hops[1].delay_s == 1);
  // Exchange 2010 says only "(TLS)"; without it, nothing is known.
  const auto old = parsed(
      "from EXCH01.corp.example.com (10.0.0.11) by EXCH02.corp.example.com (10.0.0.12) with "
      "Microsoft SMTP Server (TLS) id 14.3.498.0; Mon, 23 Nov 2026 12:00:00 +0000");
  CHECK(old.tls == true);
  CHECK(old.tls_version.empty());
  CHECK(old.with == "Microsoft SMTP Server");
  CHECK_FALSE(parsed("from a.example by b.example with Microsoft SMTP Server id 14.3.498.0; "
                     "Mon, 23 Nov 2026 12:00:00 +0000")
                  .tls.has_value());
  CHECK(parsed("from a by b with Microsoft SMTP Server (version=TLS1_0, cipher=TLS_RSA_WITH_AES_"
               "256_CBC_SHA) id 14.3.498.0; Mon, 23 Nov 2026 12:00:00 +0000")
            .tls_version == "TLSv1");
}

TEST_CASE("Received: Postfix with TLS, then Dovecot's LMTP", "[received]") {
  const auto h = received_hops(kPostfixDovecot);
  CHECK(h.unparsed == 0);
  REQUIRE(h.hops.size() == 2);
  const auto& submission = h.hops[0].received;
  CHECK(submission.from == "probe.example.test");
  CHECK(submission.by == "mail.example.test");
  CHECK(submission.with == "ESMTPSA");
  CHECK(submission.tls_version == "TLSv1.3");
  CHECK(submission.tls_cipher == "TLS_AES_256_GCM_SHA384");
  const auto& lmtp = h.hops[1].received;
  CHECK(lmtp.from == "mail.example.test");
  CHECK(lmtp.by == "mail.example.test");
  CHECK(lmtp.with == "LMTP");
  CHECK(lmtp.id == "8Ke3LLzYYmWqCgAA1g4cSg");
  CHECK(lmtp.tls == false);  // LMTP, not LMTPS, on Postfix's unix socket
  CHECK(h.hops[1].delay_s == 1);
}

TEST_CASE("Received: a Postfix MX with amavis and OpenDKIM among the other fields", "[received]") {
  const auto h = received_hops(kPostfixAmavis);
  CHECK(h.unparsed == 0);
  REQUIRE(h.hops.size() == 3);
  CHECK(h.hops[0].received.with == "ESMTPS");
  CHECK(h.hops[0].received.tls_version == "TLSv1.2");
  CHECK(h.hops[0].received.tls_cipher == "ECDHE-RSA-AES256-GCM-SHA384");
  CHECK(h.hops[1].received.by == "localhost");  // amavis, behind two comments
  CHECK(h.hops[1].received.with == "ESMTP");
  CHECK(h.hops[1].received.id == "Ab1Cd2Ef3Gh4");
  CHECK(h.hops[1].received.tls == false);
  CHECK(h.hops[1].delay_s == 0);
  CHECK(h.hops[2].received.from == "localhost");
  CHECK(h.hops[2].delay_s == 1);
}

TEST_CASE("Received: Exim with rspamd, and Exim's older TLS comment", "[received]") {
  const auto hops = received_hops(kEximRspamd);
  const auto& exim = only(hops);
  CHECK(exim.from == "[198.51.100.7]");
  CHECK(exim.by == "mx.example.org");
  CHECK(exim.with == "esmtpsa");
  CHECK(exim.id == "1tABCD-000123-4E");
  CHECK(exim.tls == true);
  CHECK(exim.tls_version == "TLSv1.3");
  CHECK(exim.tls_cipher == "TLS_AES_256_GCM_SHA384");
  CHECK(exim.at == kNoon);
  const auto old = parsed(
      "from [192.0.2.1] (helo=mail.example.com) by mx.example.org with esmtps "
      "(TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256) (Exim 4.92) (envelope-from <a@example.com>) "
      "id 1kXyZ-0001aB-Cd for b@example.org; Mon, 23 Nov 2026 12:00:00 +0000");
  CHECK(old.tls_version == "TLSv1.2");
  CHECK(old.tls_cipher == "ECDHE-RSA-AES256-GCM-SHA384");
  const auto local = parsed(
      "from user by mail.example.net with local (Exim 4.96) (envelope-from <user@example.net>) "
      "id 1tABCD-000999-0Z; Mon, 23 Nov 2026 12:00:00 +0000");
  CHECK(local.with == "local");
  CHECK_FALSE(local.tls.has_value());
}

TEST_CASE("Received: sendmail and qmail, comments in place of clauses", "[received]") {
  const auto relay = parsed(
      "from mail.example.com (mail.example.com [192.0.2.25]) by mx.example.edu (8.17.1/8.17.1) "
      "with ESMTPS id 4ANC00a1012345 (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 "
      "verify=NOT) for <probe@example.edu>; Mon, 23 Nov 2026 07:00:00 -0500");
  CHECK(relay.tls_version == "TLSv1.3");
  CHECK(relay.tls_cipher == "TLS_AES_256_GCM_SHA384");
  CHECK(relay.at == kNoon);
  const auto submit = parsed(
      "(from root@localhost) by mail.example.com (8.17.1/8.17.1/Submit) id 4ANC00Zx012340; "
      "Mon, 23 Nov 2026 12:00:00 GMT");
  CHECK(submit.from.empty());
  CHECK(submit.by == "mail.example.com");
  CHECK(submit.id == "4ANC00Zx012340");
  const std::string qmail =
      "Received: (qmail 12345 invoked from network); 23 Nov 2026 12:00:01 -0000\r\n"
      "Received: from unknown (HELO mail.example.com) (192.0.2.25)\r\n"
      "  by mx.example.net with SMTP; 23 Nov 2026 12:00:01 -0000\r\n"
      "Received: (qmail 12340 invoked by uid 89); 23 Nov 2026 12:00:00 -0000\r\n"
      "\r\n";
  const auto h = received_hops(qmail);
  CHECK(h.unparsed == 0);
  REQUIRE(h.hops.size() == 3);
  CHECK(h.hops[0].received.by.empty());  // qmail-inject: only a comment and the date
  CHECK(h.hops[0].received.at == kNoon);
  CHECK_FALSE(h.hops[0].delay_s.has_value());  // no Date:, no start
  CHECK(h.hops[1].received.from == "unknown");
  CHECK(h.hops[1].received.by == "mx.example.net");
  CHECK(h.hops[1].delay_s == 1);
  CHECK(h.hops[2].delay_s == 0);
}

TEST_CASE("Received: clock skew, a hop without a date, and the start given", "[received]") {
  const std::string block =
      "Received: by store.example with LMTP id c; Mon, 23 Nov 2026 12:00:09 +0000\r\n"
      "Received: by filter.example with ESMTP id b\r\n"
      "Received: by mx.example with ESMTP id a; Mon, 23 Nov 2026 11:59:57 +0000\r\n"
      "Received: by out.example with ESMTPSA id z; Mon, 23 Nov 2026 12:00:02 +0000\r\n"
      "Date: Mon, 23 Nov 2026 12:00:00 +0000\r\n"
      "\r\n";
  const auto h = received_hops(block);
  REQUIRE(h.hops.size() == 4);
  CHECK(h.hops[0].delay_s == 2);
  CHECK_FALSE(h.hops[0].skew);
  CHECK(h.hops[1].delay_s == -5);  // mx's clock is behind out's
  CHECK(h.hops[1].skew);
  CHECK_FALSE(h.hops[2].received.at.has_value());
  CHECK_FALSE(h.hops[2].delay_s.has_value());
  CHECK_FALSE(h.hops[2].skew);
  CHECK(h.hops[3].delay_s == 12);  // since mx, the latest hop with a date
  CHECK_FALSE(h.hops[3].skew);
  // A start given wins over the Date: field; the Date: alone may be skewed too.
  CHECK(received_hops(block, kNoon + 5).hops[0].delay_s == -3);
  CHECK(received_hops(block, kNoon + 5).hops[0].skew);
}

TEST_CASE("Received: garbage is skipped and counted, never fatal", "[received]") {
  const std::string block =
      "Received: garbage text here\r\n"
      "Received: from ; Mon, 23 Nov 2026 12:00:00 +0000\r\n"
      "Received: from a.example (unclosed by b.example; Mon, 23 Nov 2026 12:00:00 +0000\r\n"
      "Received: from a.example) by b.example; Mon, 23 Nov 2026 12:00:00 +0000\r\n"
      "Received: from by b.example; Mon, 23 Nov 2026 12:00:00 +0000\r\n"
      "Received: from a.example (comment) by; Mon, 23 Nov 2026 12:00:00 +0000\r\n"
      "Received: from <a.example by b.example; Mon, 23 Nov 2026 12:00:00 +0000\r\n"
      "Received:\r\n"
      "Received: (only a comment)\r\n"
      "Received: ; no date either\r\n"
      "Received: by ok.example; not a date\r\n"
      "Received: by ok.example\r\n"
      "\r\n";
  const auto h = received_hops(block);
  CHECK(h.unparsed == 10);
  REQUIRE(h.hops.size() == 2);
  for (const auto& hop : h.hops) {
    CHECK(hop.received.by == "ok.example");
    CHECK_FALSE(hop.received.at.has_value());
  }
  CHECK(received_hops("").hops.empty());
  CHECK(received_hops("Subject: no trace fields\r\n\r\n").unparsed == 0);
}

TEST_CASE("Received: values are printable ASCII and bounded; a loop stops at kMaxHops",
          "[received]") {
  const auto r = parsed("from h\xc3\xa9llo.example\x01 by " + std::string(1000, 'b') +
                        " with ESMTP; Mon, 23 Nov 2026 12:00:00 +0000");
  CHECK(r.from == "h??llo.example?");
  CHECK(r.by.size() == kMaxReceivedValue);
  // The first value of a repeated clause counts; keywords are words in any case.
  const auto twice = parsed(
      "FROM a.example BY b.example By c.example WITH ESMTP; Mon, 23 Nov 2026 "
      "12:00:00 +0000");
  CHECK(twice.by == "b.example");
  CHECK(twice.with == "ESMTP");
  std::string loop;
  for (int i = 0; i < 150; ++i)
    loop += "Received: by mx" + std::to_string(i) + ".example; Mon, 23 Nov 2026 12:00:00 +0000\r\n";
  const auto h = received_hops(loop + "\r\n");
  CHECK(h.hops.size() == kMaxHops);
  CHECK(h.unparsed == 50);
  CHECK(h.hops.back().received.by == "mx0.example");  // the newest are the ones read
}
