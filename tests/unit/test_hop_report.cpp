// The probe's hops as imap.wait reports them, on the scripted platform: the `hops` detail, the
// scenario's hops in every reporter (table, HTML waterfall, JUnit, Nagios perfdata, metrics),
// names from the file's `hops` key and what happens when they no longer fit the path; and the
// rows of the invalid-file table for that key.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "codec/time.hpp"
#include "probe/runner.hpp"
#include "probe/table.hpp"
#include "reporters/file_reporters.hpp"
#include "reporters/html_reporter.hpp"
#include "reporters/junit_reporter.hpp"
#include "reporters/metrics.hpp"
#include "tests/unit/scenario_rows.hpp"
#include "tests/unit/scripted_platform.hpp"

namespace {

using namespace std::chrono_literals;
using namespace scenario_rows;

std::string file_with(const std::string& wait_keys) {
  return R"({ "version": 1,
  "servers": { "submission": { "url": "smtps://mail.test:465" },
               "store": { "url": "imaps://mail.test:993" } },
  "accounts": { "probe": { "user": "probe@mail.test", "password": { "env": "MC_HOPS_PW" } } },
  "scenarios": [ { "name": "s", "timeout": "30s", "steps": [
    { "step": "smtp.send", "server": "submission", "account": "probe" },
    { "step": "imap.wait", "server": "store", "account": "probe", "timeout": "5s")" +
         wait_keys + R"( },
    { "step": "imap.delete" } ] } ] })";
}

struct Bench {
  TempDir dir;
  scripted::FakeClock clock;
  scripted::Platform platform{clock};
  scripted::ScriptedTransport transport{platform};
  mc::Wall::time_point t0 = clock.wall_now();

  Bench() {
    ::setenv("MC_HOPS_PW", platform.password.c_str(), 1);
    // Below the mailstore's own field (it adds "from probe by mail.test" on top): the
    // submission server's, 2 s after the Date:, whose clock is 1 s ahead of the mailstore's.
    platform.extra_headers =
        "Received: from client.test (client.test [192.0.2.7])\r\n"
        "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
        "\tby submission.test (Postfix) with ESMTPSA id 4Sf1XX2Yz1z9s\r\n"
        "\tfor <probe@mail.test>; " +
        mc::rfc5322_date(t0 + 2s) +
        "\r\n"
        "Received: (garbage\r\n"
        "Date: " +
        mc::rfc5322_date(t0) + "\r\n";
  }

  mc::RunResult run(const std::string& wait_keys = "") {
    const std::string path = dir.path() + "/s.json";
    std::ofstream(path) << file_with(wait_keys);
    auto loaded = mc::scn::load_files({path});
    for (const auto& p : loaded.problems) FAIL(p.format());
    mc::RunOptions o;
    o.clock = &clock;
    o.transport = &transport;
    o.state_dir = dir.path() + "/state";
    return mc::run_scenarios(loaded.files, o);
  }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("hops: every Received field of the probe, oldest first, with delay and TLS", "[hops]") {
  Bench b;
  const auto r = b.run();
  REQUIRE(r.status == mc::Status::ok);
  const auto& wait = r.scenarios[0].steps.at(1);
  const auto* hops = wait.detail("hops");
  REQUIRE(hops);
  REQUIRE(hops->value.size() == 2);
  const auto& first = hops->value[0];
  CHECK(first["hop"] == "1");
  CHECK(first["from"] == "client.test");
  CHECK(first["by"] == "submission.test");
  CHECK(first["with"] == "ESMTPSA");
  CHECK(first["id"] == "4Sf1XX2Yz1z9s");
  CHECK(first["via"].is_null());
  CHECK(first["delay_s"] == 2);
  CHECK(first["skew"] == false);
  CHECK(first["tls"] == true);
  CHECK(first["tls_version"] == "TLSv1.3");
  CHECK(first["tls_cipher"] == "TLS_AES_256_GCM_SHA384");
  CHECK(first["at"] == mc::iso8601(b.t0 + 2s));
  const auto& second = hops->value[1];
  CHECK(second["hop"] == "2");
  CHECK(second["by"] == "mail.test");
  CHECK(second["with"].is_null());
  CHECK(second["tls"].is_null());
  CHECK(second["delay_s"] == -2);  // the mailstore's clock is behind the submission server's
  CHECK(second["skew"] == true);
  REQUIRE(wait.detail("hops_unparsed"));
  CHECK(wait.detail("hops_unparsed")->value == 1);
  CHECK(hops->text ==
        "hops: 1 by submission.test with ESMTPSA (TLSv1.3) after 2 s; 2 by mail.test after -2 s "
        "(clock skew) (1 Received field not read)");

  const auto& sc = r.scenarios[0];
  REQUIRE(sc.hops.size() == 2);
  CHECK(sc.hops[0].hop == "1");
  CHECK(sc.hops[0].delay_s == 2.0);
  CHECK(sc.hops[1].skew);

  const std::string metrics = mc::render_metrics(r, {}, false);
  CHECK(has(metrics, "# TYPE mailcanary_hop_delay_seconds gauge\n"));
  CHECK(has(metrics, "mailcanary_hop_delay_seconds{scenario=\"s\",hop=\"1\"} 2\n"));
  CHECK(has(metrics, "mailcanary_hop_delay_seconds{scenario=\"s\",hop=\"2\"} -2\n"));
  CHECK(has(mc::render_metrics(r, {}, true),
            "mailcanary_hop_delay_seconds{scenario=\"s\",hop=\"1\",vantage="));
  std::ostringstream table;
  mc::print_table(table, r);
  CHECK(has(table.str(), "\n    hops: 1 by submission.test with ESMTPSA (TLSv1.3) after 2 s;"));
  CHECK(has(mc::render_junit(r), "hops: 1 by submission.test"));
  CHECK(has(mc::nagios_line(r), " 's hop 1'=2s;;;0; 's hop 2'=-2s;;;0;"));
  const std::string html = mc::render_html(r, {});
  CHECK(has(html,
            "<div class=\"wf-row hop-row\"><div class=\"wf-label\">hop 1<span "
            "class=\"lim\">submission.test</span>"));
  CHECK(has(html, "<div class=\"wf-row hop-row skew\"><div class=\"wf-label\">hop 2"));
  CHECK(has(html, "clock skew</span>"));
  CHECK(has(html, "hop (Received: dates, whole seconds)"));
  CHECK(r.warnings.empty());
}

TEST_CASE("hops: the file's names label the hops while the path has that many", "[hops]") {
  Bench b;
  auto r = b.run(R"(, "hops": ["submission", "mailstore"])");
  REQUIRE(r.status == mc::Status::ok);
  CHECK(r.warnings.empty());
  const auto* hops = r.scenarios[0].steps.at(1).detail("hops");
  REQUIRE(hops);
  CHECK(hops->value[0]["hop"] == "submission");
  CHECK(hops->value[1]["hop"] == "mailstore");
  const std::string metrics = mc::render_metrics(r, {}, false);
  CHECK(has(metrics, "mailcanary_hop_delay_seconds{scenario=\"s\",hop=\"submission\"} 2\n"));
  CHECK(has(metrics, "mailcanary_hop_delay_seconds{scenario=\"s\",hop=\"mailstore\"} -2\n"));

  // A hop more than the file names (a new content filter, say): numbers, and a warning.
  Bench c;
  c.platform.extra_headers = "Received: from localhost by filter.test with ESMTP id F1; " +
                             mc::rfc5322_date(c.clock.wall_now()) + "\r\n" +
                             c.platform.extra_headers;
  r = c.run(R"(, "hops": ["submission", "mailstore"])");
  REQUIRE(r.status == mc::Status::ok);
  hops = r.scenarios[0].steps.at(1).detail("hops");
  REQUIRE(hops);
  REQUIRE(hops->value.size() == 3);
  CHECK(hops->value[0]["hop"] == "1");
  CHECK(hops->value[2]["hop"] == "3");
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] ==
        "scenario s: imap.wait: the probe passed 3 hops, \"hops\" names 2; its hops are "
        "labelled by number until the names match the path");
}

TEST_CASE("hops: a probe without Received fields has none, and no metric", "[hops]") {
  Bench b;
  b.platform.extra_headers = "";
  const auto r = b.run();
  REQUIRE(r.status == mc::Status::ok);
  const auto* hops = r.scenarios[0].steps.at(1).detail("hops");
  REQUIRE(hops);
  // The mailstore's own field is there, but no Date: to measure the first hop from.
  REQUIRE(hops->value.size() == 1);
  CHECK(hops->value[0]["delay_s"].is_null());
  CHECK(hops->text == "hops: 1 by mail.test");
  CHECK_FALSE(has(mc::render_metrics(r, {}, false), "mailcanary_hop_delay_seconds{"));
  CHECK_FALSE(has(mc::nagios_line(r), " hop "));
}

TEST_CASE("hops: the invalid-file rows of imap.wait's hops key", "[hops][scenario]") {
  ::setenv("MC_TEST_PW", kSentinel, 1);
  const std::string wait = R"("warn": "5s", "crit": "20s" })";
  auto with = [&](const std::string& hops) {
    return good_with(wait, R"("warn": "5s", "crit": "20s", "hops": )" + hops + " }");
  };
  std::string many = "[";
  for (int i = 0; i <= 100; ++i)
    many += std::string(i ? ", " : "") + "\"h" + std::to_string(i) + "\"";
  many += "]";
  const std::vector<Row> rows = {
      {"hops: one name for a one-hop path", {{"s.json", with(R"("mailstore")")}}, {}},
      {"hops: names that are empty, numbers, repeated or not label-safe",
       {{"s.json", with(R"(["mx", "", "2", "mx", "mail store"])")}},
       {"{dir}/s.json: line 13, column 113 (scenarios[0].steps[1].hops[1]): \"\" is not a hop "
        "name: use 1 to 64 letters, digits, '.', '_' or '-', like \"mx\"",
        "{dir}/s.json: line 13, column 117 (scenarios[0].steps[1].hops[2]): \"2\" is a number, "
        "which labels a hop the file does not name: give it a name like \"mx\"",
        "{dir}/s.json: line 13, column 122 (scenarios[0].steps[1].hops[3]): \"mx\" names two "
        "hops: give each hop a name of its own",
        "{dir}/s.json: line 13, column 128 (scenarios[0].steps[1].hops[4]): \"mail store\" is "
        "not a hop name: use 1 to 64 letters, digits, '.', '_' or '-', like \"mx\""}},
      {"hops: a number instead of names",
       {{"s.json", with("3")}},
       {"{dir}/s.json: line 13, column 106 (scenarios[0].steps[1].hops): must be a string or a "
        "non-empty list of strings"}},
      {"hops: more names than hops are read",
       {{"s.json", with(many)}},
       {"{dir}/s.json: line 13, column 106 (scenarios[0].steps[1].hops): names 101 hops; at "
        "most 100 are read"}},
      {"hops on a step that is not imap.wait",
       {{"s.json", good_with(R"({ "step": "imap.delete" } ])",
                             R"({ "step": "imap.delete", "hops": ["mx"] } ])")}},
       {"{dir}/s.json: line 14, column 32 (scenarios[0].steps[2].hops): \"hops\" belongs to "
        "imap.wait: it names the hops the probe passes, oldest first, for the metrics; remove it "
        "here"}},
  };
  for (const auto& row : rows) {
    INFO("row: " << row.name);
    TempDir dir;
    std::vector<std::string> expected;
    for (const auto& e : row.expected) expected.push_back(replace_all(e, "{dir}", dir.path()));
    CHECK(load_row(row, dir.path()) == expected);
  }
}
