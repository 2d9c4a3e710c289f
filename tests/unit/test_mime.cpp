// Header fields a delivered probe carries, as real platforms write them: Authentication-Results
// (Gmail, Microsoft 365, Postfix + OpenDKIM, rspamd) and spam scores (rspamd, SpamAssassin,
// Exchange Online), and the unfolding that finds them.
#include <catch2/catch.hpp>
#include <string>

#include "protocols/mime/auth_results.hpp"
#include "protocols/mime/headers.hpp"
#include "protocols/mime/spam_score.hpp"

using namespace mc::proto::mime;

namespace {

const std::string kGmail =
    "Received: by mx.google.com with SMTP id x1; Tue, 01 Dec 2026 12:00:00 -0800\r\n"
    "Authentication-Results: mx.google.com;\r\n"
    "       dkim=pass header.i=@example.com header.s=20230601 header.b=Ab1Cd2Ef;\r\n"
    "       spf=pass (google.com: domain of sender@example.com designates 209.85.220.41 as "
    "permitted sender) smtp.mailfrom=sender@example.com;\r\n"
    "       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com\r\n"
    "Subject: probe\r\n"
    "\r\n";

const std::string kMicrosoft365 =
    "Authentication-Results: spf=pass (sender IP is 40.107.22.55)\r\n"
    " smtp.mailfrom=example.com; dkim=pass (signature was verified)\r\n"
    " header.d=example.com;dmarc=pass action=none\r\n"
    " header.from=example.com;compauth=pass reason=100\r\n"
    "X-Forefront-Antispam-Report: CIP:40.107.22.55;CTRY:NL;LANG:en;SCL:1;SRV:;IPV:NLI;"
    "SFV:NSPM;H:EUR05-AM6-obe.outbound.protection.outlook.com;PTR:;CAT:NONE;DIR:INB;\r\n"
    "X-MS-Exchange-Organization-SCL: 1\r\n"
    "\r\n";

const std::string kOpenDkim =
    "Authentication-Results: mail.example.test;\r\n"
    "\tdkim=pass (2048-bit key; unprotected) header.d=example.test header.i=@example.test "
    "header.a=rsa-sha256 header.s=mail header.b=kXlPqR2s;\r\n"
    "\tdkim-atps=neutral\r\n"
    "\r\n";

const std::string kRspamd =
    "Authentication-Results: mx.example.net;\r\n"
    "\tdkim=pass header.d=example.com header.s=dkim header.b=Qw3rTy;\r\n"
    "\tspf=pass (mx.example.net: domain of probe@example.com designates 192.0.2.10 as "
    "permitted sender) smtp.mailfrom=probe@example.com;\r\n"
    "\tdmarc=pass (policy=reject) header.from=example.com;\r\n"
    "\tarc=none\r\n"
    "X-Spamd-Result: default: False [-0.10 / 15.00];\r\n"
    "\tARC_NA(0.00)[];\r\n"
    "\tDMARC_POLICY_ALLOW(-0.50)[example.com,reject]\r\n"
    "X-Rspamd-Score: -0.10\r\n"
    "\r\n";

const std::string kSpamAssassin =
    "X-Spam-Status: No, score=-1.9 required=5.0 tests=BAYES_00,DKIM_SIGNED,\r\n"
    "\tDKIM_VALID,SPF_PASS autolearn=ham autolearn_force=no version=3.4.6\r\n"
    "\r\n";

std::vector<AuthResults> parsed(const std::string& block) {
  std::vector<AuthResults> out;
  for (const auto& v : header_fields(block, "Authentication-Results"))
    if (auto r = parse_auth_results(v)) out.push_back(*r);
  return out;
}

}  // namespace

TEST_CASE("header fields: unfolded, in order, and never from a continuation line", "[mime]") {
  const std::string block =
      "X-Note: a folded field\r\n"
      " Authentication-Results: forged.example; dkim=pass\r\n"
      "authentication-results: a;\r\n\tdkim=pass\r\n"
      "Authentication-Results: b; spf=fail\r\n"
      "\r\n"
      "Authentication-Results: in-the-body; dkim=pass\r\n";
  const auto fields = header_fields(block, "Authentication-Results");
  REQUIRE(fields.size() == 2);
  CHECK(fields[0] == "a; dkim=pass");
  CHECK(fields[1] == "b; spf=fail");
  CHECK(header_fields("Subject: x\nX-Y: 1\n", "x-y") == std::vector<std::string>{"1"});
  // A bare CR is no line end (a fuzz finding): it reads as a space.
  CHECK(header_fields("A: x\ry\r\n\r\n", "A") == std::vector<std::string>{"x y"});
}

TEST_CASE("Authentication-Results: Gmail's, comments skipped", "[mime]") {
  const auto f = parsed(kGmail);
  REQUIRE(f.size() == 1);
  CHECK(f[0].authserv_id == "mx.google.com");
  REQUIRE(f[0].verdicts.size() == 3);
  CHECK(f[0].verdicts[0].method == "dkim");
  CHECK(f[0].verdicts[0].result == "pass");
  CHECK(f[0].verdicts[0].properties == std::vector<std::string>{"header.i=@example.com",
                                                                "header.s=20230601",
                                                                "header.b=Ab1Cd2Ef"});
  CHECK(f[0].verdicts[1].method == "spf");
  CHECK(f[0].verdicts[1].properties ==
        std::vector<std::string>{"smtp.mailfrom=sender@example.com"});
  CHECK(f[0].verdicts[2].method == "dmarc");
  CHECK(f[0].verdicts[2].properties == std::vector<std::string>{"header.from=example.com"});
  CHECK(trusted_verdict(f, "mx.google.com", "dmarc") == "pass");
}

TEST_CASE("Authentication-Results: Microsoft 365 writes no authserv-id", "[mime]") {
  const auto f = parsed(kMicrosoft365);
  REQUIRE(f.size() == 1);
  CHECK(f[0].authserv_id.empty());
  REQUIRE(f[0].verdicts.size() == 4);
  CHECK(f[0].verdicts[0].method == "spf");
  CHECK(f[0].verdicts[2].method == "dmarc");
  CHECK(f[0].verdicts[2].properties ==
        std::vector<std::string>{"action=none", "header.from=example.com"});
  CHECK(f[0].verdicts[3].method == "compauth");
  CHECK(f[0].verdicts[3].reason == "100");
  CHECK(trusted_verdict(f, "", "dkim") == "pass");
  CHECK(trusted_verdict(f, "mx.example.net", "dkim").empty());
}

TEST_CASE("Authentication-Results: OpenDKIM behind Postfix, rspamd with arc=none", "[mime]") {
  const auto d = parsed(kOpenDkim);
  REQUIRE(d.size() == 1);
  CHECK(d[0].authserv_id == "mail.example.test");
  REQUIRE(d[0].verdicts.size() == 2);
  CHECK(d[0].verdicts[1].method == "dkim-atps");
  CHECK(d[0].verdicts[1].result == "neutral");
  CHECK(trusted_verdict(d, "mail.example.test", "dkim") == "pass");
  CHECK(trusted_verdict(d, "mail.example.test", "spf").empty());  // missing is not "fail"

  const auto r = parsed(kRspamd);
  REQUIRE(r.size() == 1);
  CHECK(trusted_verdict(r, "MX.example.NET", "arc") == "none");
  CHECK(trusted_verdict(r, "mx.example.net", "spf") == "pass");
}

TEST_CASE("Authentication-Results: only the trusted host counts, its topmost field first",
          "[mime]") {
  const std::string block =
      "Authentication-Results: mx.example.net; dkim=fail header.d=example.com\r\n"
      "Authentication-Results: evil.example; dkim=pass; spf=pass; dmarc=pass\r\n"
      "Authentication-Results: mx.example.net; dkim=pass (forged by the sender)\r\n"
      "\r\n";
  const auto f = parsed(block);
  REQUIRE(f.size() == 3);
  CHECK(trusted_verdict(f, "mx.example.net", "dkim") == "fail");
  CHECK(trusted_verdict(f, "mx.example.net", "dmarc").empty());
  CHECK(trusted_verdict(f, "evil.example", "dmarc") == "pass");
  // Two signatures in one field: one that passes is enough.
  const auto two = parsed(
      "Authentication-Results: mx.example.net; dkim=fail header.d=a.example; "
      "dkim=pass header.d=b.example\r\n\r\n");
  CHECK(trusted_verdict(two, "mx.example.net", "dkim") == "pass");
}

TEST_CASE("Authentication-Results: none, a version, quoted values, and broken fields", "[mime]") {
  auto none = parse_auth_results("example.com 1; none");
  REQUIRE(none);
  CHECK(none->authserv_id == "example.com");
  CHECK(none->verdicts.empty());
  auto quoted = parse_auth_results("example.com; dkim=fail reason=\"bad; signature\" header.d=x");
  REQUIRE(quoted);
  REQUIRE(quoted->verdicts.size() == 1);
  CHECK(quoted->verdicts[0].reason == "bad; signature");
  CHECK(quoted->verdicts[0].properties == std::vector<std::string>{"header.d=x"});
  auto version = parse_auth_results("example.com; dkim/1=pass");
  REQUIRE(version);
  CHECK(version->verdicts.at(0).result == "pass");
  CHECK_FALSE(parse_auth_results(""));
  CHECK_FALSE(parse_auth_results("   (only a comment)"));
  CHECK_FALSE(parse_auth_results("example.com (never closed; dkim=pass"));
  // What was well-formed before a broken verdict is kept.
  auto partial = parse_auth_results("example.com; spf=pass; dkim=; dmarc=pass");
  REQUIRE(partial);
  REQUIRE(partial->verdicts.size() == 1);
  CHECK(partial->verdicts[0].method == "spf");
}

TEST_CASE("spam scores: rspamd, SpamAssassin and Microsoft's SCL", "[mime]") {
  const auto r = spam_scores(kRspamd);
  REQUIRE(r.size() == 1);
  CHECK(r[0].source == "rspamd");
  CHECK(r[0].score == Approx(-0.10));
  REQUIRE(r[0].threshold);
  CHECK(*r[0].threshold == Approx(15.0));

  const auto sa = spam_scores(kSpamAssassin);
  REQUIRE(sa.size() == 1);
  CHECK(sa[0].source == "spamassassin");
  CHECK(sa[0].score == Approx(-1.9));
  CHECK(sa[0].threshold == Approx(5.0));

  const auto ms = spam_scores(kMicrosoft365);
  REQUIRE(ms.size() == 1);
  CHECK(ms[0].source == "microsoft_scl");
  CHECK(ms[0].score == Approx(1));

  const auto forefront =
      spam_scores("X-Forefront-Antispam-Report: CIP:1.2.3.4;SCL:5;SFV:SPM;\r\n\r\n");
  REQUIRE(forefront.size() == 1);
  CHECK(forefront[0].score == Approx(5));

  CHECK(spam_scores("X-Rspamd-Score: lots\r\nX-Spam-Status: No, score=abc\r\n\r\n").empty());
  CHECK(spam_scores(kGmail).empty());
  const auto only_score = spam_scores("X-Rspamd-Score: 7.5\r\n\r\n");
  REQUIRE(only_score.size() == 1);
  CHECK_FALSE(only_score[0].threshold);
}
