// Scenario loading: the invalid-file table of the step kinds' own keys — smtp.send's headers,
// subject, body and size, imap.check, sleep, session, and a kind's key on another kind. Each
// row is a set of files and the exact problems `mailcanary validate` must print for them.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/scenario_rows.hpp"

using namespace scenario_rows;

namespace {

const std::vector<Row>& table() {
  static const std::vector<Row> rows = {
      {"smtp.send: a line break in a header value",
       {{"s.json",
         good_with(
             R"({ "step": "smtp.send", "server": "submission", "account": "probe" })",
             R"({ "step": "smtp.send", "server": "submission", "account": "probe", "headers": ["X-Ok: 1", "X-Evil: a\r\nBcc: victim@example.test"] })")}},
       {"{dir}/s.json: line 12, column 97 (scenarios[0].steps[0].headers[1]): the value of X-Evil "
        "holds \"a\\r\\nBcc: victim@example.test\": a line break or control character would start "
        "another header line; give one line"}},
      {"smtp.send: a header of mailcanary's own",
       {{"s.json",
         good_with(
             R"({ "step": "smtp.send", "server": "submission", "account": "probe" })",
             R"({ "step": "smtp.send", "server": "submission", "account": "probe", "headers": "Message-ID: <x@y>" })")}},
       {"{dir}/s.json: line 12, column 85 (scenarios[0].steps[0].headers): Message-ID is "
        "mailcanary's own header; remove it here"}},
      {"smtp.send: From belongs to the from key",
       {{"s.json",
         good_with(
             R"({ "step": "smtp.send", "server": "submission", "account": "probe" })",
             R"({ "step": "smtp.send", "server": "submission", "account": "probe", "headers": ["from: a@example.test"] })")}},
       {"{dir}/s.json: line 12, column 86 (scenarios[0].steps[0].headers[0]): from is mailcanary's "
        "own header; set it with the step's \"from\" instead"}},
      {"smtp.send: a header without a colon",
       {{"s.json",
         good_with(
             R"({ "step": "smtp.send", "server": "submission", "account": "probe" })",
             R"({ "step": "smtp.send", "server": "submission", "account": "probe", "headers": ["X Probe"] })")}},
       {"{dir}/s.json: line 12, column 86 (scenarios[0].steps[0].headers[0]): \"X Probe\" is not a "
        "header line; write it as \"Name: value\""}},
      {"smtp.send: a subject on two lines",
       {{"s.json",
         good_with(
             R"({ "step": "smtp.send", "server": "submission", "account": "probe" })",
             R"({ "step": "smtp.send", "server": "submission", "account": "probe", "subject": "a\nb" })")}},
       {"{dir}/s.json: line 12, column 85 (scenarios[0].steps[0].subject): \"a\\nb\" is not a "
        "subject line: give one line without control characters"}},
      {"smtp.send: a body that is not ASCII",
       {{"s.json",
         good_with(
             R"({ "step": "smtp.send", "server": "submission", "account": "probe" })",
             R"({ "step": "smtp.send", "server": "submission", "account": "probe", "body": "gr\u00fc\u00dfe" })")}},
       {"{dir}/s.json: line 12, column 82 (scenarios[0].steps[0].body): the body must be ASCII "
        "text (it is sent as us-ascii, unencoded)"}},
      {"smtp.send: size is bounded",
       {{"s.json",
         good_with(
             R"({ "step": "smtp.send", "server": "submission", "account": "probe" })",
             R"({ "step": "smtp.send", "server": "submission", "account": "probe", "size": 200000000 })")}},
       {"{dir}/s.json: line 12, column 82 (scenarios[0].steps[0].size): must be a whole number "
        "from 0 to 100000000"}},
      {"a key of smtp.send on imap.wait",
       {{"s.json", good_with(R"("warn": "5s", "crit": "20s" })",
                             R"("warn": "5s", "crit": "20s", "ehlo": "probe.example.test" })")}},
       {"{dir}/s.json: line 13, column 98 (scenarios[0].steps[1].ehlo): \"ehlo\" belongs to "
        "smtp.send: it is the name EHLO gives; remove it here"}},
      {"an unknown key is offered the kind's own keys",
       {{"s.json", good_with(R"("warn": "5s", "crit": "20s" })",
                             R"("warn": "5s", "crit": "20s", "mailbx": "INBOX" })")}},
       {"{dir}/s.json: line 13, column 98 (scenarios[0].steps[1].mailbx): unknown key \"mailbx\"; "
        "did you mean \"mailbox\"? (known keys here: step, server, account, mailbox, idle, "
        "poll_interval, junk, junk_mailbox, keep, authserv_id, hops, expect, spam, session, "
        "timeout, warn, crit)"}},
      {"session is new or shared",
       {{"s.json", good_with(R"("warn": "5s", "crit": "20s" })",
                             R"("warn": "5s", "crit": "20s", "session": "old" })")}},
       {"{dir}/s.json: line 13, column 109 (scenarios[0].steps[1].session): must be \"new\" (a "
        "login of its own) or \"shared\" (the default: the scenario's session to this server and "
        "account)"}},
      {"session belongs to the IMAP kinds",
       {{"s.json", good_with(R"("account": "probe" },
      { "step": "imap.wait")",
                             R"("account": "probe", "session": "new" },
      { "step": "imap.wait")")}},
       {"{dir}/s.json: line 12, column 74 (scenarios[0].steps[0].session): \"session\" belongs to "
        "imap.wait, imap.delete, imap.check: it is \"new\" for a login of its own instead of the "
        "scenario's session; remove it here"}},
      {"imap.check: fetch is bounded",
       {{"s.json",
         good_with(
             R"({ "step": "imap.delete" } ])",
             R"({ "step": "imap.delete" }, { "step": "imap.check", "server": "store", "account": "probe", "fetch": 5000 } ])")}},
       {"{dir}/s.json: line 14, column 106 (scenarios[0].steps[3].fetch): must be a whole number "
        "from 0 to 1000"}},
      {"imap.check: mailboxes not empty",
       {{"s.json",
         good_with(
             R"({ "step": "imap.delete" } ])",
             R"({ "step": "imap.delete" }, { "step": "imap.check", "server": "store", "account": "probe", "mailboxes": [] } ])")}},
       {"{dir}/s.json: line 14, column 110 (scenarios[0].steps[3].mailboxes): must be a string or "
        "a non-empty list of strings"}},
      {"imap.check: a line break in a mailbox name, and no account",
       {{"s.json",
         good_with(
             R"({ "step": "imap.delete" } ])",
             R"({ "step": "imap.delete" }, { "step": "imap.check", "server": "store", "mailboxes": ["INBOX", "a\nb"] } ])")}},
       {"{dir}/s.json: line 14, column 34 (scenarios[0].steps[3]): imap.check needs an \"account\"",
        "{dir}/s.json: line 14, column 100 (scenarios[0].steps[3].mailboxes[1]): \"a\\nb\" is not "
        "a mailbox name: give a name without line breaks, like \"INBOX\" or \"Archive\""}},
      {"imap.check on an SMTP server",
       {{"s.json",
         good_with(
             R"({ "step": "imap.delete" } ])",
             R"({ "step": "imap.delete" }, { "step": "imap.check", "server": "submission", "account": "probe" } ])")}},
       {"{dir}/s.json: line 14, column 68 (scenarios[0].steps[3].server): imap.check needs an "
        "imap:// or imaps:// server, but \"submission\" is smtp://mail.example.test:587"}},
      {"sleep needs a duration",
       {{"s.json", good_with(R"({ "step": "imap.delete" } ])",
                             R"({ "step": "imap.delete" }, { "step": "sleep" } ])")}},
       {"{dir}/s.json: line 14, column 34 (scenarios[0].steps[3]): sleep needs a \"duration\", "
        "like \"5s\""}},
      {"sleep not shorter than the scenario timeout",
       {{"s.json",
         good_with(R"({ "step": "imap.delete" } ])",
                   R"({ "step": "imap.delete" }, { "step": "sleep", "duration": "60s" } ])")}},
       {"{dir}/s.json: line 14, column 65 (scenarios[0].steps[3].duration): sleep 1m is not "
        "shorter than the scenario timeout 1m, so the scenario could only time out; shorten the "
        "sleep or lengthen the scenario timeout"}},
      {"sleep not shorter than its step timeout",
       {{"s.json",
         good_with(
             R"({ "step": "imap.delete" } ])",
             R"({ "step": "imap.delete" }, { "step": "sleep", "duration": "5s", "timeout": "5s" } ])")}},
       {"{dir}/s.json: line 14, column 65 (scenarios[0].steps[3].duration): sleep 5s is not "
        "shorter than the step timeout 5s, so the step could only time out; shorten the sleep or "
        "drop the timeout"}},
      {"sleep takes no server",
       {{"s.json",
         good_with(
             R"({ "step": "imap.delete" } ])",
             R"({ "step": "imap.delete" }, { "step": "sleep", "duration": "1s", "server": "store" } ])")}},
       {"{dir}/s.json: line 14, column 71 (scenarios[0].steps[3].server): \"server\" belongs to "
        "smtp.send, imap.wait, imap.delete, imap.check, pop3.wait, pop3.delete, http.get: it names "
        "the server, from \"servers\"; remove it here"}},
  };
  return rows;
}

}  // namespace

TEST_CASE("the invalid-file table of the step kinds' own keys", "[scenario]") {
  check_rows(table());
}
