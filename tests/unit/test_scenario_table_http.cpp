// The invalid-file table of http.get: every bad key, with the exact problem it gives, placed at
// its line and column.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/unit/scenario_rows.hpp"

using namespace scenario_rows;

namespace {

// The good file with web servers and one http.get step (`keys` added to it) after the delete.
std::string web_with(const std::string& keys) {
  std::string text = good_with(R"("store": { "url": "imaps://mail.example.test" })",
                               R"("store": { "url": "imaps://mail.example.test" },
    "web": { "url": "https://mail.example.test/roundcube/" },
    "plain": { "url": "http://mail.example.test" })");
  return edit(text, R"({ "step": "imap.delete" } ])",
              R"({ "step": "imap.delete" },
      { "step": "http.get", "server": "web")" +
                  (keys.empty() ? "" : ", " + keys) + " } ]");
}

const std::vector<Row>& table() {
  static const std::vector<Row> rows = {
      {"http.get as it should be",
       {{"s.json",
         web_with(R"("path": "/?_task=login", "headers": "Accept-Language: de", )"
                  R"("capture": { "token": "name=\"_token\" value=\"([^\"]+)\"" }, )"
                  R"("expect": { "status": 200, "contains": "Roundcube", "regex": "<title>" })")}},
       {}},
      {"a form login after a capture",
       {{"s.json", web_with(R"("capture": { "token": "_token\" value=\"([^\"]+)\"" } },
      { "step": "http.get", "server": "web", "account": "probe", "form": { "_token": "{token}", )"
                            R"("_user": "{user}", "_pass": "{password}", "_x": "{{literal}}" })")}},
       {}},
      {"a DAV expectation",
       {{"s.json",
         web_with(
             R"("account": "probe", "method": "PROPFIND", "headers": ["Depth: 1"], )"
             R"("body": "<propfind xmlns=\"DAV:\"/>", "expect": { "status": 207, "collection": "calendar" })")}},
       {}},
      {"http.get needs an http server",
       {{"s.json",
         edit(web_with(""), R"("http.get", "server": "web")", R"("http.get", "server": "store")")}},
       {"{dir}/s.json: line 17, column 39 (scenarios[0].steps[3].server): http.get needs an "
        "http:// or https:// server, but \"store\" is imaps://mail.example.test"}},
      {"a path starts with a slash and has no spaces",
       {{"s.json", web_with(R"("path": "login page")")}},
       {"{dir}/s.json: line 17, column 54 (scenarios[0].steps[3].path): \"login page\" is not a "
        "path: start it with '/' and escape spaces and control characters (%20)"}},
      {"a method of the four",
       {{"s.json", web_with(R"("method": "DELETE")")}},
       {"{dir}/s.json: line 17, column 56 (scenarios[0].steps[3].method): \"DELETE\" is not one "
        "of \"GET\", \"POST\", \"PROPFIND\", \"REPORT\""}},
      {"a header line is Name: value",
       {{"s.json", web_with(R"("headers": ["Depth 1", "Host: x", "X-A: a\r\nX-B: b"])")}},
       {"{dir}/s.json: line 17, column 58 (scenarios[0].steps[3].headers[0]): \"Depth 1\" is not "
        "a header line; write it as \"Name: value\"",
        "{dir}/s.json: line 17, column 69 (scenarios[0].steps[3].headers[1]): \"Host\" is set by "
        "mailcanary from the request itself; remove it",
        "{dir}/s.json: line 17, column 80 (scenarios[0].steps[3].headers[2]): \"X-A: a\\r\\nX-B: "
        "b\" holds a control character; give one line without breaks"}},
      {"form and body exclude each other, and a form is posted",
       {{"s.json", web_with(R"("method": "GET", "body": "x", "form": { "a": "b" })")}},
       {"{dir}/s.json: line 17, column 56 (scenarios[0].steps[3].method): a form is posted: drop "
        "\"method\" or make it \"POST\"",
        "{dir}/s.json: line 17, column 84 (scenarios[0].steps[3].form): give either \"form\" or "
        "\"body\", not both"}},
      {"form placeholders: the account's and a capture no step makes",
       {{"s.json", web_with(R"("form": { "u": "{user}", "t": "{token}", "b": "{oops" })")}},
       {"{dir}/s.json: line 17, column 61 (scenarios[0].steps[3].form.u): {user} comes from the "
        "step's account: add \"account\"",
        "{dir}/s.json: line 17, column 76 (scenarios[0].steps[3].form.t): no earlier http.get of "
        "this scenario captures \"token\"; add \"capture\": { \"token\": \"REGEX\" } to the step "
        "that loads the form, or write \"{{\" for a literal brace",
        "{dir}/s.json: line 17, column 92 (scenarios[0].steps[3].form.b): the '{' at character 1 "
        "is not closed; write \"{{\" for a literal brace"}},
      {"form is an object",
       {{"s.json", web_with(R"("form": ["a=b"])")}},
       {"{dir}/s.json: line 17, column 54 (scenarios[0].steps[3].form): must be an object of "
        "names and values"}},
      {"capture names and patterns",
       {{"s.json", web_with(R"("capture": { "password": "x", "t": "(unclosed" })")}},
       {"{dir}/s.json: line 17, column 59 (scenarios[0].steps[3].capture.password): \"password\" "
        "cannot name a captured value: use letters, digits, '_' and '-', and neither \"user\" "
        "nor \"password\"",
        "{dir}/s.json: line 17, column 81 (scenarios[0].steps[3].capture.t): not a regular "
        "expression: Unmatched marking parenthesis ( or \\(.  The error occurred while parsing "
        "the regular expression: '(unclosed>>>HERE>>>'."}},
      {"expect: its keys",
       {{"s.json",
         web_with(
             R"("expect": { "status": 42, "contains": "", "regex": "[", "colection": "x" })")}},
       {"{dir}/s.json: line 17, column 68 (scenarios[0].steps[3].expect.status): must be an HTTP "
        "status from 100 to 599",
        "{dir}/s.json: line 17, column 84 (scenarios[0].steps[3].expect.contains): must not be "
        "empty",
        "{dir}/s.json: line 17, column 97 (scenarios[0].steps[3].expect.regex): not a regular "
        "expression: Character set declaration starting with [ terminated prematurely - either "
        "no ] was found or the set had no content.  The error occurred while parsing the regular "
        "expression: '[>>>HERE>>>'.",
        "{dir}/s.json: line 17, column 102 (scenarios[0].steps[3].expect.colection): unknown key "
        "\"colection\"; did you mean \"collection\"? (known keys here: status, contains, regex, "
        "collection)"}},
      {"expect: a collection is a calendar or an address book, read from a multistatus",
       {{"s.json", web_with(R"("expect": { "collection": "calendars" })")}},
       {"{dir}/s.json: line 17, column 72 (scenarios[0].steps[3].expect.collection): "
        "\"calendars\" is not \"calendar\" or \"addressbook\""}},
      {"expect: a collection needs PROPFIND or REPORT",
       {{"s.json", web_with(R"("expect": { "collection": "calendar" })")}},
       {"{dir}/s.json: line 17, column 72 (scenarios[0].steps[3].expect.collection): a collection "
        "is listed by a multistatus: make \"method\" \"PROPFIND\" (with a \"Depth: 1\" header) or "
        "\"REPORT\""}},
      {"no password over http:// in clear",
       {{"s.json", edit(web_with(R"("account": "probe")"), R"("http.get", "server": "web")",
                        R"("http.get", "server": "plain")")}},
       {"{dir}/s.json: line 17, column 59 (scenarios[0].steps[3].account): http.get would send "
        "the password of \"probe\" to \"plain\" over http:// in clear; use an https:// URL, or "
        "set \"allow_plaintext_auth\": true on the server if that is really intended"}},
      {"form belongs to http.get",
       {{"s.json",
         good_with(R"({ "step": "imap.delete" })", R"({ "step": "imap.delete", "form": {} })")}},
       {"{dir}/s.json: line 14, column 32 (scenarios[0].steps[2].form): \"form\" belongs to "
        "http.get: it holds form fields to post, urlencoded; {user}, {password} and captured "
        "{NAME} are filled in; remove it here"}},
  };
  return rows;
}

}  // namespace

TEST_CASE("the invalid-file table of http.get", "[scenario][http]") {
  check_rows(table());
}
