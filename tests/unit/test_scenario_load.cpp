// Scenario loading beyond the invalid-file table: a good file loads as written, a password file,
// the source map, a server's own tls block, the warnings, and the fuzzers' minimal inputs.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "scenarios/jsonc.hpp"
#include "scenarios/steps/imap_delete.hpp"
#include "scenarios/steps/smtp_send.hpp"
#include "scenarios/steps/step.hpp"
#include "tests/unit/scenario_rows.hpp"

using namespace std::chrono_literals;
using namespace scenario_rows;

TEST_CASE("a good file loads as written, imap.delete inheriting from the imap.wait before it",
          "[scenario]") {
  ::setenv("MC_TEST_PW", kSentinel, 1);
  TempDir dir;
  const Row row{
      "good",
      {{"s.json", good_with(R"({ "step": "imap.delete" } ])",
                            R"({ "step": "imap.delete" }, { "step": "imap.delete" } ])")}},
      {}};
  mc::scn::Loaded loaded;
  REQUIRE(load_row(row, dir.path(), &loaded).empty());
  REQUIRE(loaded.files.size() == 1);
  const auto& f = loaded.files[0];
  CHECK(f.servers.at("submission").port == 587);
  CHECK(f.servers.at("store").implicit_tls);
  CHECK(f.accounts.at("probe").password == kSentinel);
  CHECK(f.accounts.at("probe").password_source == "environment variable MC_TEST_PW");
  REQUIRE(f.scenarios.size() == 1);
  const auto& sc = f.scenarios[0];
  CHECK(sc.name == "roundtrip");
  CHECK(sc.path == "scenarios[0]");
  CHECK(sc.timeout == 60s);
  REQUIRE(sc.steps.size() == 4);
  CHECK(sc.steps[0].as<mc::scn::SendKeys>().from == "probe@example.test");
  CHECK(sc.steps[1].warn == std::optional(5000ms));
  CHECK(sc.steps[1].crit == std::optional(20s));
  for (std::size_t i : {2u, 3u}) {
    CHECK(sc.steps[i].kind == "imap.delete");
    CHECK(sc.steps[i].server == "store");
    CHECK(sc.steps[i].account == "probe");
    CHECK(sc.steps[i].as<mc::scn::DeleteKeys>().mailbox == "INBOX");
  }
}

TEST_CASE("a password file readable by its owner only gives the password, one newline dropped",
          "[scenario]") {
  TempDir dir;
  const Row row{"file",
                {{"s.json", good_with(kPasswordLine, R"("password": { "file": "probe.pw" })")},
                 {"probe.pw", "pw with spaces\n", 0600, false}},
                {}};
  mc::scn::Loaded loaded;
  REQUIRE(load_row(row, dir.path(), &loaded).empty());
  const auto& account = loaded.files.at(0).accounts.at("probe");
  CHECK(account.password == "pw with spaces");
  CHECK(account.password_source == "file " + dir.path() + "/probe.pw");
}

TEST_CASE("the source map places values by JSON path and finds repeated keys", "[scenario]") {
  const std::string text =
      "{ // \"a\": {\n"
      "  \"a\": [ 1, { \"b\": \"x//y\" } ], /* \"c\": 1, */ \"c\": 2,\n"
      "  \"w\\u0061rn\": 1, \"warn\": 2 }\n";
  mc::scn::ParseError error;
  REQUIRE(mc::scn::parse_jsonc(text, error).has_value());
  const auto map = mc::scn::map_source(text);
  const auto at = [&](const std::string& path) {
    int line = 0;
    int column = 0;
    mc::scn::line_column(text, map.places.at(path).value, line, column);
    return std::to_string(line) + ":" + std::to_string(column);
  };
  CHECK(at("") == "1:1");
  CHECK(at("a") == "2:8");
  CHECK(at("a[0]") == "2:10");
  CHECK(at("a[1]") == "2:13");
  CHECK(at("a[1].b") == "2:20");
  CHECK(at("c") == "2:51");
  CHECK(map.places.at("a").key == text.find("\"a\": ["));
  CHECK(map.places.at("a[0]").key == mc::scn::SourceMap::npos);
  REQUIRE(map.duplicates.size() == 1);
  CHECK(map.duplicates[0].path == "warn");
  CHECK(map.duplicates[0].key == "warn");
  CHECK(map.duplicates[0].offset == text.find("\"warn\""));
  CHECK(map.duplicates[0].first == text.find("\"w\\u0061rn\""));
}

TEST_CASE("a number too large for a double does not stop the other files' problems", "[scenario]") {
  ::setenv("MC_TEST_PW", kSentinel, 1);
  TempDir dir;
  const Row row{"two files",
                {{"a.json", "{ \"version\": 4E444 }"},
                 {"b.json", good_with(R"("version": 1,)", R"("version": 1, "vantge": "x",)")}},
                {}};
  const auto problems = load_row(row, dir.path());
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] == dir.path() +
                           "/a.json: line 1, column 14: not valid JSON: the number 4E444 is too "
                           "large to be read; write a smaller one");
  CHECK(problems[1].find("b.json: line 2") != std::string::npos);
  CHECK(problems[1].find("unknown key \"vantge\"") != std::string::npos);
}

TEST_CASE("a server's own tls block replaces defaults.tls as a whole", "[scenario]") {
  ::setenv("MC_TEST_PW", kSentinel, 1);
  TempDir dir;
  const std::string text = edit(
      edit(
          good_with(
              R"("version": 1,)",
              R"("version": 1, "defaults": { "tls": { "verify": false, "ca_file": "ca.pem", "server_name": "d.test" } },)"),
          R"("store": { "url": "imaps://mail.example.test" })",
          R"("store": { "url": "imaps://mail.example.test", "tls": { "ca_file": "own.pem" } },
    "bare": { "url": "imaps://mail.example.test", "tls": {} },
    "pinned": { "url": "imaps://mail.example.test", "tls": { "min_version": "1.3" } })"),
      R"("submission": { "url": "smtp://mail.example.test:587" })",
      R"("submission": { "url": "smtp://mail.example.test:587" })");
  const Row row{
      "tls", {{"s.json", text}, {"ca.pem", "x", 0644, false}, {"own.pem", "y", 0644, false}}, {}};
  mc::scn::Loaded loaded;
  REQUIRE(load_row(row, dir.path(), &loaded).empty());
  const auto& servers = loaded.files.at(0).servers;
  // The defaults, whole, where a server says nothing about TLS.
  CHECK_FALSE(servers.at("submission").tls.verify);
  CHECK(servers.at("submission").tls.ca_file == dir.path() + "/ca.pem");
  CHECK(servers.at("submission").tls.server_name == "d.test");
  // Its own block, whole, where it has one: nothing of the defaults leaks in.
  CHECK(servers.at("store").tls.verify);
  CHECK(servers.at("store").tls.ca_file == dir.path() + "/own.pem");
  CHECK(servers.at("store").tls.server_name.empty());
  CHECK(servers.at("bare").tls.verify);
  CHECK(servers.at("bare").tls.ca_file.empty());
  CHECK(servers.at("pinned").tls.ca_file.empty());
  // Every server that does not verify is a warning, with its place; so is an own block that
  // gives up the defaults' CA without naming one, unless it is "tls": {}, which says so.
  REQUIRE(loaded.warnings.size() == 2);
  CHECK(loaded.warnings[1].where == "servers.pinned.tls");
  CHECK(loaded.warnings[0].format() ==
        dir.path() +
            "/s.json: line 4, column 19 (servers.submission): TLS certificate verification is off "
            "(from defaults.tls): a forged certificate would go unnoticed; give the CA in "
            "tls.ca_file instead");
}

TEST_CASE("warnings: credentials in clear, verification off, probes left in the mailbox",
          "[scenario]") {
  ::setenv("MC_TEST_PW", kSentinel, 1);
  TempDir dir;
  auto warnings_of = [&](const std::string& text) {
    mc::scn::Loaded loaded;
    const Row row{"w", {{"s.json", text}}, {}};
    const auto problems = load_row(row, dir.path(), &loaded);
    CHECK(problems.empty());
    std::vector<std::string> out;
    for (const auto& w : loaded.warnings)
      out.push_back(replace_all(w.format(), dir.path(), "{dir}"));
    fs::remove(dir.path() + "/s.json");
    return out;
  };
  CHECK(warnings_of(kGood).empty());
  CHECK(
      warnings_of(good_with(
          R"("smtp://mail.example.test:587" })",
          R"("smtp://mail.example.test:587", "starttls": "off", "allow_plaintext_auth": true })")) ==
      std::vector<std::string>{
          "{dir}/s.json: line 4, column 103 (servers.submission.allow_plaintext_auth): "
          "credentials may be sent without TLS to this server whenever STARTTLS is not in "
          "effect; anyone on the path could read them"});
  CHECK(warnings_of(good_with(R"("imaps://mail.example.test" })",
                              R"("imaps://mail.example.test", "tls": { "verify": false } })")) ==
        std::vector<std::string>{
            "{dir}/s.json: line 5, column 71 (servers.store.tls.verify): TLS certificate "
            "verification is off: a forged certificate would go unnoticed; give the CA in "
            "tls.ca_file instead"});
  const std::string no_delete = good_with(R"(,
      { "step": "imap.delete" } ])",
                                          " ]");
  CHECK(warnings_of(no_delete) ==
        std::vector<std::string>{
            "{dir}/s.json: line 13, column 7 (scenarios[0].steps[1]): imap.wait without an "
            "imap.delete after it leaves the probe in the mailbox; later runs delete it; add "
            "{\"step\": \"imap.delete\"} after it, or \"keep\": true on the imap.wait if probes "
            "are meant to stay"});
  CHECK(warnings_of(edit(no_delete, R"("crit": "20s" })", R"("crit": "20s", "keep": true })"))
            .empty());
  CHECK(
      warnings_of(
          good_with(
              R"("version": 1,)",
              R"("version": 1, "defaults": { "tls": { "ca_file": "/etc/ssl/certs/ca-certificates.crt" } },)"))
          .empty());
  const auto own_tls = warnings_of(edit(
      good_with(
          R"("version": 1,)",
          R"("version": 1, "defaults": { "tls": { "ca_file": "/etc/ssl/certs/ca-certificates.crt" } },)"),
      R"("imaps://mail.example.test" })",
      R"("imaps://mail.example.test", "tls": { "min_version": "1.3" } })"));
  REQUIRE(own_tls.size() == 1);
  CHECK(own_tls[0].find("(servers.store.tls): this server's own tls replaces defaults.tls as a "
                        "whole") != std::string::npos);
}

TEST_CASE("the fuzzers' minimal inputs: a // comment ended by NUL or a lone CR", "[scenario]") {
  for (const std::string& text : {std::string("//\0"
                                              "9",
                                              4),
                                  std::string("//\r9")}) {
    mc::scn::ParseError error;
    const auto doc = mc::scn::parse_jsonc(text, error);
    REQUIRE(doc.has_value());
    CHECK(*doc == 9);
    // The parser ended the comment where the map did: the value is the "9" at offset 3.
    const auto map = mc::scn::map_source(text);
    CHECK(map.places.at("").value == 3);
    CHECK(map.duplicates.empty());
  }
}
