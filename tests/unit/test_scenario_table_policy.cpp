// The invalid-file table of smtp.send's policy keys ("expect", "greylist", "greylist_delay"):
// every bad value, with the exact problem it gives, placed at its line and column.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/unit/scenario_rows.hpp"

using namespace scenario_rows;

namespace {

const std::string kSteps =
    R"({ "step": "smtp.send", "server": "submission", "account": "probe" },
      { "step": "imap.wait", "server": "store", "account": "probe", "warn": "5s", "crit": "20s" },
      { "step": "imap.delete" } ])";

// The good file with smtp.send alone, `keys` added to it.
std::string send_only(const std::string& keys) {
  return good_with(
      kSteps,
      R"({ "step": "smtp.send", "server": "submission", "account": "probe", )" + keys + " } ]");
}

// The good file's smtp.send with `keys` added, the imap.wait and imap.delete after it.
std::string send_then_wait(const std::string& keys) {
  return good_with(R"("account": "probe" },
      { "step": "imap.wait")",
                   R"("account": "probe", )" + keys + R"( },
      { "step": "imap.wait")");
}

const std::vector<Row>& table() {
  static const std::vector<Row> rows = {
      {"expect, greylist and greylist_delay as they should be",
       {{"s.json", send_only(R"("expect": { "reject": "rcpt", "code": "5.7.*" }, )"
                             R"("greylist": "retry", "greylist_delay": "20s")")}},
       {}},
      {"expect: reject as a string, greylist fail",
       {{"s.json", send_only(R"("expect": "reject", "greylist": "fail")")}},
       {}},
      {"expect: a reply-code pattern, to an MX",
       {{"s.json", good_with(kSteps, R"({ "step": "smtp.send", "server": "submission", )"
                                     R"("from": "a@example.test", "to": "b@example.org", )"
                                     R"("expect": { "reject": "mail", "code": "5??" } } ])")}},
       {}},
      {"expect: a string other than reject",
       {{"s.json", send_only(R"("expect": "refuse")")}},
       {"{dir}/s.json: line 12, column 84 (scenarios[0].steps[0].expect): must be \"reject\" or "
        "an object like { \"reject\": \"rcpt\", \"code\": \"5.7.*\" }"}},
      {"expect: a number",
       {{"s.json", send_only(R"("expect": 5)")}},
       {"{dir}/s.json: line 12, column 84 (scenarios[0].steps[0].expect): must be a string"}},
      {"expect: an unknown stage",
       {{"s.json", send_only(R"("expect": { "reject": "rcpt_to" })")}},
       {"{dir}/s.json: line 12, column 96 (scenarios[0].steps[0].expect.reject): \"rcpt_to\" is "
        "not a stage; stages are \"any\", \"connect\", \"ehlo\", \"auth\", \"mail\", \"rcpt\", "
        "\"data\", \"message\""}},
      {"expect: a code without a stage",
       {{"s.json", send_only(R"("expect": { "code": "5.7.1" })")}},
       {"{dir}/s.json: line 12, column 84 (scenarios[0].steps[0].expect): needs \"reject\", the "
        "stage where the server must refuse, one of \"any\", \"connect\", \"ehlo\", \"auth\", "
        "\"mail\", \"rcpt\", \"data\", \"message\" "
        "(what the delivered probe must carry is imap.wait's \"expect\")"}},
      {"expect: a code pattern that is no refusal",
       {{"s.json", send_only(R"("expect": { "reject": "rcpt", "code": "2.0.0" })")}},
       {"{dir}/s.json: line 12, column 112 (scenarios[0].steps[0].expect.code): \"2.0.0\" is "
        "not a code pattern: a refusal's code starts with 4 (temporary) or 5 (permanent)"}},
      {"expect: a malformed enhanced pattern",
       {{"s.json", send_only(R"("expect": { "reject": "rcpt", "code": "5.x.1" })")}},
       {"{dir}/s.json: line 12, column 112 (scenarios[0].steps[0].expect.code): \"5.x.1\" is "
        "not a code pattern: an enhanced status code is class.subject.detail, each a number "
        "or *, like \"5.7.1\" or \"5.7.*\""}},
      {"expect: a misspelt key",
       {{"s.json", send_only(R"("expect": { "rejct": "rcpt" })")}},
       {"{dir}/s.json: line 12, column 84 (scenarios[0].steps[0].expect): needs \"reject\", the "
        "stage where the server must refuse, one of \"any\", \"connect\", \"ehlo\", \"auth\", "
        "\"mail\", \"rcpt\", \"data\", \"message\" "
        "(what the delivered probe must carry is imap.wait's \"expect\")",
        "{dir}/s.json: line 12, column 86 (scenarios[0].steps[0].expect.rejct): unknown key "
        "\"rejct\"; did you mean \"reject\"? (known keys here: reject, code)"}},
      {"expect: a refusal of AUTH without an account",
       {{"s.json", good_with(kSteps, R"({ "step": "smtp.send", "server": "submission", )"
                                     R"("from": "a@example.test", "to": "b@example.org", )"
                                     R"("expect": { "reject": "auth" } } ])")}},
       {"{dir}/s.json: line 12, column 113 (scenarios[0].steps[0].expect): expects a refusal of "
        "AUTH, but the step has no \"account\", so it sends no AUTH; add the account to log "
        "in with, or name another stage"}},
      {"expect: an imap.wait for a probe that is never sent",
       {{"s.json", send_then_wait(R"("expect": "reject")")}},
       {"{dir}/s.json: line 13, column 7 (scenarios[0].steps[1]): imap.wait waits for the probe "
        "that scenarios[0].steps[0] (smtp.send) expects the server to refuse, so it is never "
        "sent; remove this step, or the \"expect\" of the smtp.send"}},
      {"greylist: neither retry nor fail",
       {{"s.json", send_only(R"("greylist": "yes")")}},
       {"{dir}/s.json: line 12, column 86 (scenarios[0].steps[0].greylist): must be \"retry\" "
        "(wait out a greylisting and send again) or \"fail\" (the default: a greylisting "
        "fails the step with the server's reply)"}},
      {"greylist_delay without greylist retry",
       {{"s.json", send_only(R"("greylist_delay": "30s")")}},
       {"{dir}/s.json: line 12, column 92 (scenarios[0].steps[0].greylist_delay): is used only "
        "with \"greylist\": \"retry\"; add that, or remove the delay"}},
      {"greylist_delay not shorter than the step timeout",
       {{"s.json", send_only(R"("greylist": "retry", "greylist_delay": "30s", "timeout": "30s")")}},
       {"{dir}/s.json: line 12, column 113 (scenarios[0].steps[0].greylist_delay): the "
        "greylisting delay 30s is not shorter than the step timeout 30s, so a retry could "
        "never come; shorten the delay or lengthen the timeout"}},
      {"greylist_delay not shorter than the scenario timeout",
       {{"s.json", send_only(R"("greylist": "retry", "greylist_delay": "2m")")}},
       {"{dir}/s.json: line 12, column 113 (scenarios[0].steps[0].greylist_delay): the "
        "greylisting delay 2m is not shorter than the scenario timeout 1m, so a retry could "
        "never come; shorten the delay or lengthen the timeout"}},
  };
  return rows;
}

}  // namespace

TEST_CASE("the invalid-file table of smtp.send's expect and greylist", "[scenario][policy]") {
  check_rows(table());
}
