// The invalid-file table of imap.wait's "expect", "spam" and "authserv_id": every bad key, with
// the exact problem it gives, placed at its line and column.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/unit/scenario_rows.hpp"

using namespace scenario_rows;

namespace {

// The good file's imap.wait with `keys` added after its thresholds.
std::string wait_with(const std::string& keys) {
  return good_with(R"("warn": "5s", "crit": "20s" })",
                   R"("warn": "5s", "crit": "20s", )" + keys + " }");
}

const std::vector<Row>& table() {
  static const std::vector<Row> rows = {
      {"expect and spam as they should be",
       {{"s.json",
         wait_with(R"("expect": { "spf": "pass", "dkim": "PASS", "dmarc": "missing", "arc": )"
                   R"("none" }, "spam": { "warn": 5, "crit": 10.5, "rspamd": { "crit": 15 }, )"
                   R"("microsoft_scl": { "warn": 4, "crit": 6 } }, "authserv_id": "")")}},
       {}},
      {"expect is an object",
       {{"s.json", wait_with(R"("expect": "pass")")}},
       {"{dir}/s.json: line 13, column 108 (scenarios[0].steps[1].expect): must be an object "
        "with any of the keys spf, dkim, dmarc, arc, bounce"}},
      {"expect: an unknown method is offered the known ones",
       {{"s.json", wait_with(R"("expect": { "dkm": "pass" })")}},
       {"{dir}/s.json: line 13, column 110 (scenarios[0].steps[1].expect.dkm): unknown key "
        "\"dkm\"; did you mean \"dkim\"? (known keys here: spf, dkim, dmarc, arc, bounce)"}},
      {"expect: a verdict that is no result",
       {{"s.json", wait_with(R"("expect": { "dkim": "passed" })")}},
       {"{dir}/s.json: line 13, column 118 (scenarios[0].steps[1].expect.dkim): \"passed\" is "
        "not a dkim result: give one of pass, fail, policy, neutral, none, temperror, permerror, "
        "or \"missing\" (no dkim verdict of the trusted host at all)"}},
      {"expect: a result of another method",
       {{"s.json", wait_with(R"("expect": { "dmarc": "softfail", "arc": "neutral" })")}},
       {"{dir}/s.json: line 13, column 119 (scenarios[0].steps[1].expect.dmarc): \"softfail\" is "
        "not a dmarc result: give one of pass, fail, none, temperror, permerror, or \"missing\" "
        "(no dmarc verdict of the trusted host at all)",
        "{dir}/s.json: line 13, column 138 (scenarios[0].steps[1].expect.arc): \"neutral\" is not "
        "an arc result: give one of pass, fail, none, or \"missing\" (no arc verdict of the "
        "trusted host at all)"}},
      {"expect: a verdict is a string",
       {{"s.json", wait_with(R"("expect": { "spf": true })")}},
       {"{dir}/s.json: line 13, column 117 (scenarios[0].steps[1].expect.spf): must be a "
        "string"}},
      {"imap.wait's expect on smtp.send, whose expect is a policy probe's",
       {{"s.json", good_with(R"("account": "probe" },
      { "step": "imap.wait")",
                             R"("account": "probe", "expect": { "dkim": "pass" } },
      { "step": "imap.wait")")}},
       // smtp.send's "expect" is a policy probe's refusal: it says where the verdicts go.
       {"{dir}/s.json: line 12, column 84 (scenarios[0].steps[0].expect): needs \"reject\", the "
        "stage where the server must refuse, one of \"any\", \"connect\", \"ehlo\", \"auth\", "
        "\"mail\", \"rcpt\", \"data\", \"message\" (what the delivered probe must carry is "
        "imap.wait's \"expect\")",
        "{dir}/s.json: line 12, column 86 (scenarios[0].steps[0].expect.dkim): unknown key "
        "\"dkim\"; known keys here: reject, code"}},
      {"junk and junk_mailbox as they should be",
       {{"s.json", wait_with(R"("junk": "warn", "junk_mailbox": "INBOX.Spam")")}},
       {}},
      {"junk is fail, warn or ignore",
       {{"s.json", wait_with(R"("junk": "accept")")}},
       {"{dir}/s.json: line 13, column 106 (scenarios[0].steps[1].junk): \"accept\" is not what a "
        "probe in Junk means: give \"fail\" (reason junk), \"warn\" or \"ignore\""}},
      {"junk_mailbox is not the mailbox watched",
       {{"s.json", wait_with(R"("junk_mailbox": "inbox")")}},
       {"{dir}/s.json: line 13, column 114 (scenarios[0].steps[1].junk_mailbox): \"inbox\" cannot "
        "be the Junk mailbox: give its name as the server lists it, like \"Junk\" or "
        "\"INBOX.Spam\", other than the mailbox watched (INBOX)"}},
      {"expect: a bounce as it should be",
       {{"s.json", wait_with(R"("expect": { "bounce": true })")}},
       {}},
      {"expect: bounce is true or false",
       {{"s.json", wait_with(R"("expect": { "bounce": "yes" })")}},
       {"{dir}/s.json: line 13, column 120 (scenarios[0].steps[1].expect.bounce): must be true "
        "or false"}},
      {"expect: a bounce has no verdicts",
       {{"s.json", wait_with(R"("expect": { "bounce": true, "dkim": "pass" })")}},
       {"{dir}/s.json: line 13, column 120 (scenarios[0].steps[1].expect.bounce): expects a "
        "bounce, and also verdicts or spam limits for a delivered probe: a probe that bounces is "
        "never delivered; drop one or the other"}},
      {"spam is an object",
       {{"s.json", wait_with(R"("spam": 5)")}},
       {"{dir}/s.json: line 13, column 106 (scenarios[0].steps[1].spam): must be an object with "
        "any of the keys warn, crit, rspamd, spamassassin, microsoft_scl"}},
      {"spam: an unknown key is told the known ones",
       {{"s.json", wait_with(R"("spam": { "warning": 5 })")}},
       {"{dir}/s.json: line 13, column 106 (scenarios[0].steps[1].spam): sets no limit: give warn "
        "and/or crit for every scanner ({\"warn\": 5, \"crit\": 10}) or per scanner (rspamd, "
        "spamassassin, microsoft_scl)",
        "{dir}/s.json: line 13, column 108 (scenarios[0].steps[1].spam.warning): unknown key "
        "\"warning\"; known keys here: warn, crit, rspamd, spamassassin, microsoft_scl"}},
      {"spam: limits are numbers",
       {{"s.json", wait_with(R"("spam": { "warn": "5", "crit": null })")}},
       {"{dir}/s.json: line 13, column 116 (scenarios[0].steps[1].spam.warn): must be a number, "
        "like 5 or 7.5",
        "{dir}/s.json: line 13, column 129 (scenarios[0].steps[1].spam.crit): must be a number, "
        "like 5 or 7.5"}},
      {"spam: warn above crit",
       {{"s.json", wait_with(R"("spam": { "warn": 10, "crit": 5.5 })")}},
       {"{dir}/s.json: line 13, column 116 (scenarios[0].steps[1].spam.warn): warn 10 is above "
        "crit 5.5; warn is the lower limit: lower warn or raise crit"}},
      {"spam: an empty object sets no limit",
       {{"s.json", wait_with(R"("spam": {})")}},
       {"{dir}/s.json: line 13, column 106 (scenarios[0].steps[1].spam): sets no limit: give warn "
        "and/or crit for every scanner ({\"warn\": 5, \"crit\": 10}) or per scanner (rspamd, "
        "spamassassin, microsoft_scl)"}},
      {"spam: a scanner's own limits",
       {{"s.json",
         wait_with(R"("spam": { "rspamd": {}, "spamassassin": { "max": 3 }, "microsoft_scl": )"
                   R"({ "warn": 7, "crit": 5 } })")}},
       {"{dir}/s.json: line 13, column 118 (scenarios[0].steps[1].spam.rspamd): sets no limit: "
        "give warn, crit or both, like {\"warn\": 5}",
        "{dir}/s.json: line 13, column 138 (scenarios[0].steps[1].spam.spamassassin): sets no "
        "limit: give warn, crit or both, like {\"warn\": 5}",
        "{dir}/s.json: line 13, column 140 (scenarios[0].steps[1].spam.spamassassin.max): unknown "
        "key \"max\"; known keys here: warn, crit",
        "{dir}/s.json: line 13, column 179 (scenarios[0].steps[1].spam.microsoft_scl.warn): warn "
        "7 is above crit 5; warn is the lower limit: lower warn or raise crit"}},
      {"spam: a scanner's limits are an object",
       {{"s.json", wait_with(R"("spam": { "rspamd": 15 })")}},
       {"{dir}/s.json: line 13, column 118 (scenarios[0].steps[1].spam.rspamd): must be an object "
        "with any of the keys warn, crit"}},
      {"authserv_id is one host name",
       {{"s.json", wait_with(R"("authserv_id": "mx.example.net; x")")}},
       {"{dir}/s.json: line 13, column 113 (scenarios[0].steps[1].authserv_id): \"mx.example.net; "
        "x\" is not an authserv-id: give the host name its Authentication-Results fields start "
        "with, like \"mx.example.net\" (\"\" for fields that name none, as Microsoft 365 writes "
        "them)"}},
  };
  return rows;
}

}  // namespace

TEST_CASE("the invalid-file table of imap.wait's expect and spam", "[scenario]") {
  check_rows(table());
}
