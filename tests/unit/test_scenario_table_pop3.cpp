// The invalid-file table of pop3.wait and pop3.delete: every bad key, with the exact problem it
// gives, placed at its line and column.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/unit/scenario_rows.hpp"

using namespace scenario_rows;

namespace {

const std::string kPop3Server = R"("store": { "url": "imaps://mail.example.test" })";
const std::string kPop3Good = R"("store": { "url": "imaps://mail.example.test" },
    "pop": { "url": "pop3s://mail.example.test" })";

// The good file with a POP3 server "pop", and its imap steps replaced by `steps`.
std::string pop3_file(const std::string& steps) {
  std::string f = good_with(kPop3Server, kPop3Good);
  f = edit(
      f,
      R"({ "step": "imap.wait", "server": "store", "account": "probe", "warn": "5s", "crit": "20s" },)",
      steps);
  return edit(f, R"(
      { "step": "imap.delete" } ] })",
              " ] }");
}

const std::string kWait = R"({ "step": "pop3.wait", "server": "pop", "account": "probe" })";

const std::vector<Row>& table() {
  static const std::vector<Row> rows = {
      {"pop3.wait and pop3.delete as they should be",
       {{"s.json",
         pop3_file(R"({ "step": "pop3.wait", "server": "pop", "account": "probe", )"
                   R"("poll_interval": "500ms", "keep": false }, { "step": "pop3.delete" })")}},
       {}},
      {"pop3.wait needs a POP3 server",
       {{"s.json", pop3_file(R"({ "step": "pop3.wait", "server": "store", "account": "probe" }, )"
                             R"({ "step": "pop3.delete" })")}},
       {"{dir}/s.json: line 14, column 40 (scenarios[0].steps[1].server): pop3.wait needs a "
        "pop3:// or pop3s:// server, but \"store\" is imaps://mail.example.test"}},
      {"pop3.wait needs a server and an account",
       {{"s.json", pop3_file(R"({ "step": "pop3.wait" }, { "step": "pop3.delete" })")}},
       {"{dir}/s.json: line 14, column 7 (scenarios[0].steps[1]): pop3.wait needs a \"server\"",
        "{dir}/s.json: line 14, column 7 (scenarios[0].steps[1]): pop3.wait needs an \"account\""}},
      {"pop3.wait: poll_interval is a duration",
       {{"s.json", pop3_file(R"({ "step": "pop3.wait", "server": "pop", "account": "probe", )"
                             R"("poll_interval": "often" }, { "step": "pop3.delete" })")}},
       {"{dir}/s.json: line 14, column 84 (scenarios[0].steps[1].poll_interval): \"often\" is not "
        "a duration; write it like \"250ms\", \"10s\", \"2m\" or \"1h\""}},
      {"pop3.wait: keep is a boolean",
       {{"s.json", pop3_file(R"({ "step": "pop3.wait", "server": "pop", "account": "probe", )"
                             R"("keep": "yes" }, { "step": "pop3.delete" })")}},
       {"{dir}/s.json: line 14, column 75 (scenarios[0].steps[1].keep): must be true or false"}},
      {"pop3.wait: mailbox is imap.wait's",
       {{"s.json", pop3_file(R"({ "step": "pop3.wait", "server": "pop", "account": "probe", )"
                             R"("mailbox": "INBOX" }, { "step": "pop3.delete" })")}},
       {"{dir}/s.json: line 14, column 67 (scenarios[0].steps[1].mailbox): \"mailbox\" belongs to "
        "imap.wait, imap.delete: it names the mailbox to look in; remove it here"}},
      {"pop3.delete needs a pop3.wait before it",
       {{"s.json", pop3_file(R"({ "step": "pop3.delete", "server": "pop", "account": "probe" })")}},
       {"{dir}/s.json: line 14, column 7 (scenarios[0].steps[1]): pop3.delete deletes what an "
        "earlier pop3.wait found; add a pop3.wait step before it"}},
      {"pop3.delete: a server that is not POP3",
       {{"s.json", pop3_file(kWait + R"(, { "step": "pop3.delete", "server": "submission" })")}},
       {"{dir}/s.json: line 14, column 104 (scenarios[0].steps[2].server): pop3.delete needs a "
        "pop3:// or pop3s:// server, but \"submission\" is smtp://mail.example.test:587"}},
      {"pop3.wait with starttls off and a password",
       {{"s.json", edit(pop3_file(kWait + R"(, { "step": "pop3.delete" })"),
                        R"("pop": { "url": "pop3s://mail.example.test" })",
                        R"("pop": { "url": "pop3://mail.example.test", "starttls": "off" })")}},
       {"{dir}/s.json: line 14, column 58 (scenarios[0].steps[1].account): pop3.wait logs in to "
        "\"pop\", whose \"starttls\" is \"off\": the password would cross the connection "
        "unencrypted; use \"starttls\": \"required\" (or an smtps/imaps URL), or set "
        "\"allow_plaintext_auth\": true on the server if that is really intended"}},
  };
  return rows;
}

}  // namespace

TEST_CASE("the invalid-file table of pop3.wait and pop3.delete", "[scenario][pop3]") {
  check_rows(table());
}
