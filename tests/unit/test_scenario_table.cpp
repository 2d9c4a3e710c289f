// Scenario loading: THE INVALID-FILE TABLE. Each row is a set of files and the exact problems
// `mailcanary validate` must print for them, every one at once, in the order of the text.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/unit/scenario_rows.hpp"

using namespace std::chrono_literals;
using namespace scenario_rows;

namespace {

const std::vector<Row>& table() {
  static const std::vector<Row> rows = {
      {"good file", {{"s.json", kGood}}, {}},

      // Syntax: line and column of the original text, comments included.
      {"syntax: missing comma",
       {{"s.json", "// probe\n{ \"version\": 1\n  \"servers\": {} }\n"}},
       {"{dir}/s.json: line 3, column 3: not valid JSON: unexpected string literal; expected "
        "'}'; is a comma missing before it?"}},
      {"syntax: trailing comma after a comment",
       {{"s.json", "{\n  /* one\n     two */ \"version\": 1,\n}\n"}},
       {"{dir}/s.json: line 4, column 1: not valid JSON: unexpected '}'; expected string "
        "literal; remove the comma before it: JSON allows no trailing comma"}},
      {"syntax: unquoted word",
       {{"s.json", "{\n  \"version\": 1, \"vantage\": fra1 }\n"}},
       {"{dir}/s.json: line 2, column 28: not valid JSON: invalid literal; strings need double "
        "quotes, and the only bare words are true, false and null"}},
      {"syntax: unterminated string",
       {{"s.json", "{ \"version\": 1,\n  \"vantage\": \"fra1\n}\n"}},
       {"{dir}/s.json: line 2, column 19: not valid JSON: invalid string: control character "
        "U+000A (LF) must be escaped to \\u000A or \\n; is the closing quote missing?"}},
      {"comments with quotes and braces do not shift places",
       {{"s.json", R"({
  // a comment with "quotes", { braces } and [ brackets
  "version": 1, /* "version": 2, */ "servers": { "s//x": { "url": "smtp://h:25/*" } },
  "scenarios": [ { "name": "n", "steps": [
    { "step": "smtp.send", "server": "s//x", "from": "a@b", "to": "c@d", "timeout": "soon" } ] } ]
}
)"}},
       {"{dir}/s.json: line 5, column 85 (scenarios[0].steps[0].timeout): \"soon\" is not a "
        "duration; write it like \"250ms\", \"10s\", \"2m\" or \"1h\""}},
      {"a byte order mark and non-ASCII text do not shift columns",
       {{"s.json", "\xEF\xBB\xBF" + good_with(R"("version": 1,)",
                                              R"("version": 1, "vantage": "Zürich", "x": 1,)")}},
       {"{dir}/s.json: line 2, column 38 (x): unknown key \"x\"; known keys here: version, "
        "vantage, defaults, dns, servers, accounts, scenarios, reporters"}},
      {"reporters: an unknown type, a textfile not ending in .prom, a pushgateway without url",
       {{"s.json",
         good_with(R"("version": 1,)",
                   R"("version": 1, "reporters": [ { "type": "textfil", "path": "m.prom" },
  { "type": "textfile", "path": "m.txt" }, { "type": "pushgateway" } ],)")}},
       {"{dir}/s.json: line 2, column 42 (reporters[0].type): unknown reporter \"textfil\"; did "
        "you mean \"textfile\"? (known reporters: json, jsonl, textfile, junit, html, nagios, "
        "pushgateway)",
        "{dir}/s.json: line 3, column 33 (reporters[1].path): must end in .prom: node_exporter "
        "reads only *.prom files",
        "{dir}/s.json: line 3, column 44 (reporters[2]): needs the Pushgateway's \"url\", like "
        "\"http://pushgateway:9091\""}},
      {"reporters: credentials in the Pushgateway URL",
       {{"s.json",
         good_with(
             R"("version": 1,)",
             R"("version": 1, "reporters": [ { "type": "pushgateway", "url": "http://u:pw@p:9091" } ],)")}},
       {"{dir}/s.json: line 2, column 64 (reporters[0].url): credentials do not belong in the URL; "
        "put user:password into a file named by \"basic_auth_file\""}},
      {"reporters: a push credentials file that others can read",
       {{"s.json",
         good_with(
             R"("version": 1,)",
             R"("version": 1, "reporters": [ { "type": "pushgateway", "url": "http://p:9091", "basic_auth_file": "auth" } ],)")},
        {"auth", "user:secret", 0644, false}},
       {"{dir}/s.json: line 2, column 100 (reporters[0].basic_auth_file): secret file {dir}/auth "
        "is open to other users (mode 0644); run: chmod 600 {dir}/auth"}},
      {"scenario file missing",
       {{"missing.json", "", 0644, true, false}},
       {"{dir}/missing.json: cannot read the file: No such file or directory"}},
      {"syntax: empty file",
       {{"s.json", "// nothing yet\n"}},
       {"{dir}/s.json: line 2, column 1: not valid JSON: the file is empty; it must hold one JSON "
        "object"}},

      // Unknown keys, steps, servers and accounts, with "did you mean" for near misses.
      {"unknown key near a known one",
       {{"s.json", good_with(R"("timeout": "60s")", R"("timout": "60s")")}},
       {"{dir}/s.json: line 11, column 28 (scenarios[0].timout): unknown key \"timout\"; did you "
        "mean \"timeout\"? (known keys here: name, timeout, steps)"}},
      {"unknown key far from every known one",
       {{"s.json",
         good_with(
             kSendLine,
             R"({ "step": "smtp.send", "server": "submission", "account": "probe", "colour": "red" },)")}},
       {"{dir}/s.json: line 12, column 74 (scenarios[0].steps[0].colour): unknown key "
        "\"colour\"; known keys here: step, server, account, from, to, ehlo, subject, headers, "
        "body, size, expect, greylist, greylist_delay, timeout, warn, crit"}},
      // Each kind checks its own keys.
      {"a short unknown key is not offered an unrelated short one",
       {{"s.json", good_with(R"("name": "roundtrip", )", R"("name": "roundtrip", "id": 7, )")}},
       {"{dir}/s.json: line 11, column 28 (scenarios[0].id): unknown key \"id\"; known keys "
        "here: name, timeout, steps"}},
      // Addresses go into MAIL FROM and RCPT TO as they are: checked before anything is sent.
      {"from with CR LF smuggling a command",
       {{"s.json",
         good_with(
             kSendLine,
             R"({ "step": "smtp.send", "server": "submission", "account": "probe", "from": "a@example.test\r\nRSET" },)")}},
       {"{dir}/s.json: line 12, column 82 (scenarios[0].steps[0].from): "
        "\"a@example.test\\r\\nRSET\" is not a valid mail address: it contains a line break (CR "
        "or LF), which would end the SMTP command early"}},
      {"recipients that are not RFC 5321 addresses",
       {{"s.json",
         good_with(
             kSendLine,
             R"({ "step": "smtp.send", "server": "submission", "account": "probe", "to": ["ok@example.test", "no-at-sign", "a..b@example.test", "x@-bad-.test", "<y@example.test>", "n\u0000@example.test"] },)")}},
       {"{dir}/s.json: line 12, column 100 (scenarios[0].steps[0].to[1]): \"no-at-sign\" is not "
        "a valid mail address: it has no @; write it like probe@example.test",
        "{dir}/s.json: line 12, column 114 (scenarios[0].steps[0].to[2]): \"a..b@example.test\" "
        "is not a valid mail address: dots before the @ may not lead, trail or repeat (write it "
        "quoted)",
        "{dir}/s.json: line 12, column 135 (scenarios[0].steps[0].to[3]): \"x@-bad-.test\" is "
        "not a valid mail address: a label of the domain must start and end with a letter or "
        "digit",
        "{dir}/s.json: line 12, column 151 (scenarios[0].steps[0].to[4]): \"<y@example.test>\" "
        "is not a valid mail address: write it without angle brackets: mailcanary adds them",
        "{dir}/s.json: line 12, column 171 (scenarios[0].steps[0].to[5]): "
        "\"n\\x00@example.test\" is not a valid mail address: it contains a NUL byte"}},
      {"an account user that is no address, used as from and to",
       {{"s.json", good_with(R"("user": "probe@example.test")", R"("user": "probe user")")}},
       {"{dir}/s.json: line 12, column 7 (scenarios[0].steps[0]): \"probe user\" is not a valid "
        "mail address (it is the account's \"user\"): it has no @; write it like "
        "probe@example.test"}},
      {"starttls off with an account would send the password in clear",
       {{"s.json", good_with(R"("smtp://mail.example.test:587" })",
                             R"("smtp://mail.example.test:587", "starttls": "off" })")}},
       {"{dir}/s.json: line 12, column 65 (scenarios[0].steps[0].account): smtp.send logs in to "
        "\"submission\", whose \"starttls\" is \"off\": the password would cross the connection "
        "unencrypted; use \"starttls\": \"required\" (or an smtps/imaps URL), or set "
        "\"allow_plaintext_auth\": true on the server if that is really intended"}},
      {"keep on a step that is not imap.wait",
       {{"s.json", good_with(R"({ "step": "imap.delete" } ])",
                             R"({ "step": "imap.delete", "keep": true } ])")}},
       {"{dir}/s.json: line 14, column 32 (scenarios[0].steps[2].keep): \"keep\" belongs to "
        "imap.wait, pop3.wait: it says the probe stays in the mailbox; remove it here"}},
      {"allow_plaintext_auth must be a boolean",
       {{"s.json",
         good_with(R"("smtp://mail.example.test:587" })",
                   R"("smtp://mail.example.test:587", "allow_plaintext_auth": "yes" })")}},
       {"{dir}/s.json: line 4, column 84 (servers.submission.allow_plaintext_auth): must be true "
        "or false"}},

      // Hostile input found by fuzzing: every one an ordinary located problem.
      {"a number too large for a double",
       {{"s.json", "{\n  \"version\": 1e999 }\n"}},
       {"{dir}/s.json: line 2, column 14: not valid JSON: the number 1e999 is too large to be "
        "read; write a smaller one"}},
      {"a number too large, also written in a comment before it",
       {{"s.json", "{\n  // 1e999 would be too large\n  \"version\": 1e999 }\n"}},
       {"{dir}/s.json: line 3, column 14: not valid JSON: the number 1e999 is too large to be "
        "read; write a smaller one"}},
      {"an ehlo name with a line break",
       {{"s.json",
         good_with(
             kSendLine,
             R"({ "step": "smtp.send", "server": "submission", "account": "probe", "ehlo": "a\r\nRSET" },)")}},
       {"{dir}/s.json: line 12, column 82 (scenarios[0].steps[0].ehlo): \"a\\r\\nRSET\" is "
        "not a host name for EHLO: give one name without spaces or line breaks, like "
        "\"probe.example.net\""}},
      {"a line comment ended by a lone CR keeps every place after it",
       {{"s.json", good_with(R"("version": 1,)",
                             "\"version\": 1, // note\r \"vantage\": \"a\", \"vantage\": \"b\",")}},
       {"{dir}/s.json: line 2, column 42 (vantage): duplicate key \"vantage\" (first at line 2, "
        "column 26); only the last one would count: remove one of them"}},
      {"a line comment ended by a NUL keeps every place after it",
       {{"s.json",
         good_with(
             R"("version": 1,)",
             std::string("\"version\": 1, //\0 \"vantage\": \"a\", \"vantage\": \"b\",", 49))}},
       {"{dir}/s.json: line 2, column 37 (vantage): duplicate key \"vantage\" (first at line 2, "
        "column 21); only the last one would count: remove one of them"}},
      {"a duration whose terms add up past any limit",
       {{"s.json", good_with(R"("timeout": "60s")", "\"timeout\": \"" +
                                                        [] {
                                                          std::string t;
                                                          for (int i = 0; i < 2600; ++i)
                                                            t += "999999999h";
                                                          return t;
                                                        }() +
                                                        "\"")}},
       {"{dir}/s.json: line 11, column 39 (scenarios[0].timeout): "
        "\"999999999h999999999h999999999h999999999h...\" is longer than the longest duration "
        "allowed, 8760h; give a shorter one"}},
      {"a duration over a year",
       {{"s.json", good_with(R"("timeout": "60s")", R"("timeout": "9000h")")}},
       {"{dir}/s.json: line 11, column 39 (scenarios[0].timeout): \"9000h\" is longer than the "
        "longest duration allowed, 8760h; give a shorter one"}},

      {"unknown step near a known one",
       {{"s.json", good_with(R"("smtp.send")", R"("smtp.sned")")}},
       {"{dir}/s.json: line 12, column 17 (scenarios[0].steps[0].step): unknown step "
        "\"smtp.sned\"; did you mean \"smtp.send\"? (known steps: smtp.send, imap.wait, "
        "imap.delete, imap.check, sleep, pop3.wait, pop3.delete, dns.mx, dnsbl.check, http.get)"}},
      {"unknown step differing in case",
       {{"s.json", good_with(R"("imap.delete")", R"("IMAP.Delete")")}},
       {"{dir}/s.json: line 14, column 17 (scenarios[0].steps[2].step): unknown step "
        "\"IMAP.Delete\"; did you mean \"imap.delete\"? (known steps: smtp.send, imap.wait, "
        "imap.delete, imap.check, sleep, pop3.wait, pop3.delete, dns.mx, dnsbl.check, http.get)"}},
      {"unknown step far from every known one",
       {{"s.json", good_with(R"("imap.delete")", R"("ldap.bind")")}},
       {"{dir}/s.json: line 14, column 17 (scenarios[0].steps[2].step): unknown step "
        "\"ldap.bind\"; known steps: smtp.send, imap.wait, imap.delete, imap.check, "
        "sleep, pop3.wait, pop3.delete, dns.mx, dnsbl.check, http.get"}},
      {"unknown server near a known one",
       {{"s.json", good_with(R"("server": "store")", R"("server": "stor")")}},
       {"{dir}/s.json: line 13, column 40 (scenarios[0].steps[1].server): no server named "
        "\"stor\"; did you mean \"store\"? (servers in this file: store, submission)"}},
      {"unknown server far from every known one",
       {{"s.json", good_with(R"("server": "submission")", R"("server": "outbound")")}},
       {"{dir}/s.json: line 12, column 40 (scenarios[0].steps[0].server): no server named "
        "\"outbound\"; servers in this file: store, submission"}},
      {"unknown account differing in case",
       {{"s.json", good_with(R"("server": "store", "account": "probe")",
                             R"("server": "store", "account": "Probe")")}},
       {"{dir}/s.json: line 13, column 60 (scenarios[0].steps[1].account): no account named "
        "\"Probe\"; did you mean \"probe\"? (accounts in this file: probe)"}},
      {"a broken server is reported once, not again where a step names it",
       {{"s.json", good_with(R"("imaps://mail.example.test")", R"("imaps//mail.example.test")")}},
       {"{dir}/s.json: line 5, column 23 (servers.store.url): \"imaps//mail.example.test\" is "
        "not a URL; write it like \"smtp://mail.example.test:587\""}},
      {"a step on a server of the wrong protocol",
       {{"s.json", good_with(R"("server": "store")", R"("server": "submission")")}},
       {"{dir}/s.json: line 13, column 40 (scenarios[0].steps[1].server): imap.wait needs an "
        "imap:// or imaps:// server, but \"submission\" is smtp://mail.example.test:587"}},
      {"imap.delete without an imap.wait before it",
       {{"s.json", good_with(kWaitLine, "")}},
       {"{dir}/s.json: line 14, column 7 (scenarios[0].steps[1]): imap.delete deletes what an "
        "earlier imap.wait found; add an imap.wait step before it",
        "{dir}/s.json: line 14, column 7 (scenarios[0].steps[1]): imap.delete needs a "
        "\"server\"",
        "{dir}/s.json: line 14, column 7 (scenarios[0].steps[1]): imap.delete needs an "
        "\"account\""}},

      // Durations and their order.
      {"bad durations",
       {{"s.json",
         good_with(
             kWaitLine,
             R"({ "step": "imap.wait", "server": "store", "account": "probe", "warn": "5 s", "crit": 20, "timeout": "0s" },)")}},
       {"{dir}/s.json: line 13, column 77 (scenarios[0].steps[1].warn): \"5 s\" is not a "
        "duration; write it like \"250ms\", \"10s\", \"2m\" or \"1h\"",
        "{dir}/s.json: line 13, column 92 (scenarios[0].steps[1].crit): a bare number is not a "
        "duration; write it as a string with a unit: \"250ms\", \"10s\", \"2m\" or \"1h\"",
        "{dir}/s.json: line 13, column 107 (scenarios[0].steps[1].timeout): \"0s\" is zero; give "
        "a duration above zero, like \"10s\""}},
      {"warn above crit",
       {{"s.json", good_with(R"("warn": "5s", "crit": "20s")", R"("warn": "30s", "crit": "20s")")}},
       {"{dir}/s.json: line 13, column 77 (scenarios[0].steps[1].warn): warn 30s is longer than "
        "crit 20s; warn is the lower threshold: lower warn or raise crit"}},
      {"step timeout above the scenario timeout",
       {{"s.json", good_with(R"("crit": "20s" })", R"("crit": "20s", "timeout": "90s" })")}},
       {"{dir}/s.json: line 13, column 109 (scenarios[0].steps[1].timeout): step timeout 90s is "
        "longer than the scenario timeout 1m, which bounds all of its steps; shorten the step "
        "timeout or lengthen the scenario timeout"}},
      {"step timeout above the scenario timeout taken from defaults",
       {{"s.json", edit(edit(good_with(R"("version": 1,)",
                                       R"("version": 1, "defaults": { "timeout": "45s" },)"),
                             R"("timeout": "60s", )", ""),
                        R"("crit": "20s" })", R"("crit": "20s", "timeout": "50s" })")}},
       {"{dir}/s.json: line 13, column 109 (scenarios[0].steps[1].timeout): step timeout 50s is "
        "longer than the scenario timeout 45s (from defaults.timeout), which bounds all of its "
        "steps; shorten the step timeout or lengthen the scenario timeout"}},
      {"--every shorter than a scenario timeout",
       {{"s.json", good_with(R"("timeout": "60s")", R"("timeout": "2m")")}},
       {"{dir}/s.json: line 11, column 39 (scenarios[0].timeout): scenario timeout 2m is longer "
        "than the --every interval 1m; rounds would overlap: lengthen --every or shorten the "
        "timeout"},
       60s},
      {"--every as long as the scenario timeout", {{"s.json", kGood}}, {}, 60s},
      {"--every shorter than the default scenario timeout",
       {{"s.json", good_with(R"("timeout": "60s", )", "")}},
       {"{dir}/s.json: line 11, column 5 (scenarios[0]): scenario timeout 1m (the default) is "
        "longer than the --every interval 30s; rounds would overlap: lengthen --every or shorten "
        "the timeout"},
       30s},

      // Names and keys that repeat.
      {"duplicate scenario name in one file",
       {{"s.json", good_with(R"(] }
  ])",
                             R"(] },
    { "name": "roundtrip", "steps": [ { "step": "imap.wait", "server": "store", "account": "probe" } ] }
  ])")}},
       {"{dir}/s.json: line 15, column 15 (scenarios[1].name): scenario name \"roundtrip\" is "
        "already used by scenarios[0]; --scenario picks scenarios by name, so give each its "
        "own"}},
      {"duplicate scenario name across files",
       {{"a.json", kGood}, {"b.json", kGood}},
       {"{dir}/b.json: line 11, column 15 (scenarios[0].name): scenario name \"roundtrip\" is "
        "already used by scenarios[0] in {dir}/a.json; --scenario picks scenarios by name, so "
        "give each its own"}},
      {"the same file twice",
       {{"s.json", kGood}, {"./s.json", kGood}},
       {"{dir}/./s.json: the same file is given twice on the command line; give it once"}},
      {"duplicate key in an object",
       {{"s.json", good_with(R"("warn": "5s", "crit": "20s")", R"("warn": "5s", "warn": "20s")")}},
       {"{dir}/s.json: line 13, column 83 (scenarios[0].steps[1].warn): duplicate key \"warn\" "
        "(first at line 13, column 69); only the last one would count: remove one of them"}},

      // Secrets.
      {"environment variable not set",
       {{"s.json", good_with("MC_TEST_PW", "MC_TEST_UNSET_PW")}},
       {"{dir}/s.json: line 8, column 67 (accounts.probe.password.env): environment variable "
        "MC_TEST_UNSET_PW is not set; export it before running, e.g. export "
        "MC_TEST_UNSET_PW=..."}},
      {"password written into the file",
       {{"s.json", good_with(kPasswordLine, R"("password": "hunter2")")}},
       {"{dir}/s.json: line 8, column 58 (accounts.probe.password): must be {\"env\": "
        "\"VARIABLE\"}, {\"file\": \"path\"} or {\"oauth2_token_file\": \"path\"}; passwords "
        "are never written into scenario files"}},
      {"password source with a typo",
       {{"s.json", good_with(kPasswordLine, R"("password": { "evn": "MC_TEST_PW" })")}},
       {"{dir}/s.json: line 8, column 60 (accounts.probe.password.evn): unknown key \"evn\"; did "
        "you mean \"env\"? (known keys here: env, file, oauth2_token_file)"}},
      {"password file missing",
       {{"s.json", good_with(kPasswordLine, R"("password": { "file": "missing.pw" })")}},
       {"{dir}/s.json: line 8, column 68 (accounts.probe.password.file): cannot read secret file "
        "{dir}/missing.pw: No such file or directory; check the path (relative paths start at "
        "the scenario file)"}},
      {"password file others can read",
       {{"s.json", good_with(kPasswordLine, R"("password": { "file": "probe.pw" })")},
        {"probe.pw", "pw\n", 0644, false}},
       {"{dir}/s.json: line 8, column 68 (accounts.probe.password.file): secret file "
        "{dir}/probe.pw is open to other users (mode 0644); run: chmod 600 {dir}/probe.pw"}},
      {"password file readable by its owner only",
       {{"s.json", good_with(kPasswordLine, R"("password": { "file": "probe.pw" })")},
        {"probe.pw", "pw\n", 0600, false}},
       {}},
      {"password file empty",
       {{"s.json", good_with(kPasswordLine, R"("password": { "file": "probe.pw" })")},
        {"probe.pw", "\n", 0600, false}},
       {"{dir}/s.json: line 8, column 68 (accounts.probe.password.file): secret file "
        "{dir}/probe.pw is empty; write the password into it"}},

      // Everything at once, in the order of the text.
      {"several problems in one file",
       {{"s.json", R"({
  "version": 2,
  "servers": {
    "submission": { "url": "smtp://mail.example.test:587", "starttls": "maybe" },
    "store": { "url": "imaps://mail.example.test" }
  },
  "accounts": { "probe": { "user": "probe@example.test", "password": { "env": "MC_TEST_UNSET_PW" } } },
  "scenarios": [
    { "name": "roundtrip", "timeout": "30s", "steps": [
      { "step": "smtp.send", "server": "submision", "account": "probe" },
      { "step": "imap.wait", "server": "store", "account": "probe", "timeout": "45s", "warn": "9s", "crit": "3s" },
      { "step": "imap.delete", "mailbox": "INBOX", "mailbox": "Junk" } ] }
  ],
  "vantge": "fra1"
}
)"}},
       {"{dir}/s.json: line 2, column 14 (version): must be 1 (write \"version\": 1 at the top of "
        "the file)",
        "{dir}/s.json: line 4, column 72 (servers.submission.starttls): \"maybe\" is not one of "
        "\"required\", \"optional\", \"off\"",
        "{dir}/s.json: line 7, column 79 (accounts.probe.password.env): environment variable "
        "MC_TEST_UNSET_PW is not set; export it before running, e.g. export "
        "MC_TEST_UNSET_PW=...",
        "{dir}/s.json: line 10, column 40 (scenarios[0].steps[0].server): no server named "
        "\"submision\"; did you mean \"submission\"? (servers in this file: store, submission)",
        "{dir}/s.json: line 11, column 80 (scenarios[0].steps[1].timeout): step timeout 45s is "
        "longer than the scenario timeout 30s, which bounds all of its steps; shorten the step "
        "timeout or lengthen the scenario timeout",
        "{dir}/s.json: line 11, column 95 (scenarios[0].steps[1].warn): warn 9s is longer than "
        "crit 3s; warn is the lower threshold: lower warn or raise crit",
        "{dir}/s.json: line 12, column 52 (scenarios[0].steps[2].mailbox): duplicate key "
        "\"mailbox\" (first at line 12, column 32); only the last one would count: remove one of "
        "them",
        "{dir}/s.json: line 14, column 3 (vantge): unknown key \"vantge\"; did you mean "
        "\"vantage\"? (known keys here: version, vantage, defaults, dns, servers, "
        "accounts, scenarios, reporters)"}},
  };
  return rows;
}

}  // namespace

TEST_CASE("the invalid-file table: every problem, exactly, in the order of the text",
          "[scenario]") {
  REQUIRE(table().size() >= 20);
  check_rows(table());
}
