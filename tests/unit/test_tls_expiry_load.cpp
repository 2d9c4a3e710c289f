// Loading tls.expiry_warn / expiry_crit: days as a duration unit, where each threshold comes from
// (a server's own tls, else defaults.tls, key by key), and the invalid-file rows for both keys.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "codec/time.hpp"
#include "tests/unit/scenario_rows.hpp"

using namespace std::chrono_literals;
using namespace scenario_rows;

namespace {

const std::string kSubmission = R"("submission": { "url": "smtp://mail.example.test:587" },)";
const std::string kStore = R"("store": { "url": "imaps://mail.example.test" })";

std::string submission_tls(const std::string& tls) {
  return good_with(
      kSubmission,
      R"("submission": { "url": "smtp://mail.example.test:587", "tls": )" + tls + " },");
}

std::string with_defaults(const std::string& defaults, const std::string& file) {
  return edit(file, R"("version": 1,)",
              R"("version": 1, "defaults": { "tls": )" + defaults + " },");
}

const std::vector<Row>& rows() {
  static const std::vector<Row> table = {
      {"thresholds in days on a server",
       {{"s.json", submission_tls(R"({ "expiry_warn": "21d", "expiry_crit": "7d" })")}},
       {}},
      {"thresholds in defaults.tls",
       {{"s.json", with_defaults(R"({ "expiry_warn": "30d", "expiry_crit": "36h" })", kGood)}},
       {}},
      {"crit not below warn",
       {{"s.json", submission_tls(R"({ "expiry_warn": "7d", "expiry_crit": "21d" })")}},
       {"{dir}/s.json: line 4, column 105 (servers.submission.tls.expiry_crit): expiry_crit 21d "
        "is not below expiry_warn 7d: crit is the fewer days left, so lower expiry_crit or raise "
        "expiry_warn"}},
      {"crit equal to warn",
       {{"s.json", submission_tls(R"({ "expiry_warn": "14d", "expiry_crit": "336h" })")}},
       {"{dir}/s.json: line 4, column 106 (servers.submission.tls.expiry_crit): expiry_crit 14d "
        "is not below expiry_warn 14d: crit is the fewer days left, so lower expiry_crit or "
        "raise expiry_warn"}},
      {"crit not below warn in defaults.tls, reported there only",
       {{"s.json", with_defaults(R"({ "expiry_warn": "7d", "expiry_crit": "21d" })", kGood)}},
       {"{dir}/s.json: line 2, column 76 (defaults.tls.expiry_crit): expiry_crit 21d is not "
        "below expiry_warn 7d: crit is the fewer days left, so lower expiry_crit or raise "
        "expiry_warn"}},
      {"a server's own crit above the warn of defaults.tls",
       {{"s.json", with_defaults(R"({ "expiry_warn": "21d" })",
                                 submission_tls(R"({ "expiry_crit": "30d" })"))}},
       {"{dir}/s.json: line 4, column 84 (servers.submission.tls.expiry_crit): expiry_crit 30d "
        "is not below expiry_warn 21d (from defaults.tls): crit is the fewer days left, so lower "
        "expiry_crit or raise expiry_warn"}},
      {"a server's own warn below the crit of defaults.tls",
       {{"s.json", with_defaults(R"({ "expiry_crit": "7d" })",
                                 submission_tls(R"({ "expiry_warn": "5d" })"))}},
       {"{dir}/s.json: line 4, column 84 (servers.submission.tls.expiry_warn): expiry_crit 7d "
        "(from defaults.tls) is not below expiry_warn 5d: crit is the fewer days left, so lower "
        "expiry_crit or raise expiry_warn"}},
      {"a bare number of days",
       {{"s.json", submission_tls(R"({ "expiry_warn": 21 })")}},
       {"{dir}/s.json: line 4, column 84 (servers.submission.tls.expiry_warn): a bare number is "
        "not a duration; write it as a string with a unit: \"250ms\", \"10s\", \"2m\" or \"1h\""}},
      {"not a duration",
       {{"s.json", submission_tls(R"({ "expiry_crit": "one week" })")}},
       {"{dir}/s.json: line 4, column 84 (servers.submission.tls.expiry_crit): \"one week\" is "
        "not a duration; write it like \"250ms\", \"10s\", \"2m\" or \"1h\""}},
      {"zero days",
       {{"s.json", submission_tls(R"({ "expiry_crit": "0d" })")}},
       {"{dir}/s.json: line 4, column 84 (servers.submission.tls.expiry_crit): \"0d\" is zero; "
        "give a duration above zero, like \"10s\""}},
      {"more days than a year",
       {{"s.json", submission_tls(R"({ "expiry_warn": "400d" })")}},
       {"{dir}/s.json: line 4, column 84 (servers.submission.tls.expiry_warn): \"400d\" is "
        "longer than the longest duration allowed, 8760h; give a shorter one"}},
      {"a key near expiry_warn",
       {{"s.json", submission_tls(R"({ "expiry_wrn": "21d" })")}},
       {"{dir}/s.json: line 4, column 69 (servers.submission.tls.expiry_wrn): unknown key "
        "\"expiry_wrn\"; did you mean \"expiry_warn\"? (known keys here: ca_file, "
        "server_name, verify, min_version, expiry_warn, expiry_crit)"}},
      {"thresholds on a server whose connections have no TLS",
       {{"s.json",
         good_with(kStore, kStore + R"(, "mx": { "url": "smtp://mx.example.test", "starttls": )"
                                    R"("off", "tls": { "expiry_warn": "21d" } })")}},
       {"{dir}/s.json: line 5, column 138 (servers.mx.tls.expiry_warn): this server's "
        "\"starttls\" is \"off\": its connections carry no certificate to check; remove the "
        "expiry thresholds, or set \"starttls\" to \"required\""}},
  };
  return table;
}

}  // namespace

TEST_CASE("durations take days: \"21d\" is 504 hours, a year is the most", "[tls_expiry]") {
  std::chrono::milliseconds d{};
  REQUIRE(mc::parse_duration("21d", d));
  CHECK(d == 504h);
  REQUIRE(mc::parse_duration("1d12h", d));
  CHECK(d == 36h);
  REQUIRE(mc::parse_duration("365d", d));
  CHECK(d == 8760h);
  bool too_long = false;
  CHECK_FALSE(mc::parse_duration("365d1ms", d, &too_long));
  CHECK(too_long);
  CHECK_FALSE(mc::parse_duration("2D", d));
  CHECK_FALSE(mc::parse_duration("d", d));
}

TEST_CASE("tls expiry thresholds in files: every problem, exactly", "[tls_expiry][scenario]") {
  ::setenv("MC_TEST_PW", kSentinel, 1);
  for (const auto& row : rows()) {
    INFO("row: " << row.name);
    TempDir dir;
    std::vector<std::string> expected;
    for (const auto& e : row.expected) expected.push_back(replace_all(e, "{dir}", dir.path()));
    CHECK(load_row(row, dir.path()) == expected);
  }
}

TEST_CASE(
    "tls expiry thresholds: a server's own tls keeps the ones of defaults.tls it does not "
    "set",
    "[tls_expiry][scenario]") {
  ::setenv("MC_TEST_PW", kSentinel, 1);
  const std::string file = with_defaults(
      R"({ "expiry_warn": "21d", "expiry_crit": "7d", "verify": false })",
      good_with(
          kSubmission,
          R"("submission": { "url": "smtp://mail.example.test:587", "tls": { "expiry_crit": "3d" } },)"
          R"( "other": { "url": "smtp://mail.example.test:25", "tls": { "server_name": "mx" } },)"));
  TempDir dir;
  mc::scn::Loaded loaded;
  REQUIRE(load_row({"inherit", {{"s.json", file}}, {}}, dir.path(), &loaded).empty());
  const auto& servers = loaded.files.at(0).servers;
  const auto& submission = servers.at("submission").tls;
  CHECK(submission.expiry_warn == 21 * 24h);
  CHECK(submission.expiry_crit == 3 * 24h);
  CHECK(submission.verify);  // trust settings still come as a whole
  CHECK(servers.at("other").tls.expiry_warn == 21 * 24h);
  CHECK(servers.at("other").tls.expiry_crit == 7 * 24h);
  const auto& store = servers.at("store").tls;
  CHECK(store.expiry_warn == 21 * 24h);
  CHECK(store.expiry_crit == 7 * 24h);
  CHECK_FALSE(store.verify);
}
