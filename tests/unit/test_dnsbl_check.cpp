// dnsbl.check without a socket: its queries against a scripted resolver (concurrent, bounded,
// a TXT only for a listing, the MX hosts' addresses), what the answers make of the step in
// every reporter and in mailcanary_dnsbl_listed, and the invalid-file rows of its keys.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <sstream>

#include "probe/table.hpp"
#include "reporters/file_reporters.hpp"
#include "reporters/html_reporter.hpp"
#include "reporters/junit_reporter.hpp"
#include "reporters/metrics.hpp"
#include "scenarios/steps/dnsbl_lookup.hpp"
#include "tests/unit/scenario_rows.hpp"

namespace {

namespace asio = boost::asio;
using namespace mc::proto::dns;
using mc::scn::DnsblTarget;
using namespace scenario_rows;

// Answers by name and type; every other question is NXDOMAIN. Each answer takes `delay`.
struct Resolver {
  std::map<std::pair<std::string, Type>, Answer> answers;
  std::vector<std::pair<std::string, Type>> asked;
  std::chrono::milliseconds delay{0};
  int in_flight = 0;
  int max_in_flight = 0;

  void listed(const std::string& name, const std::string& code, const std::string& txt = "") {
    Answer a;
    a.status = Status::ok;
    a.addresses = {code};
    answers[{name, Type::a}] = a;
    if (!txt.empty()) {
      Answer t;
      t.status = Status::ok;
      t.txt = {txt};
      answers[{name, Type::txt}] = t;
    }
  }
  void status(const std::string& name, Type type, Status s) {
    Answer a;
    a.status = s;
    answers[{name, type}] = a;
  }
  void addresses(const std::string& name, Type type, std::vector<std::string> addrs) {
    Answer a;
    a.status = Status::ok;
    a.addresses = std::move(addrs);
    answers[{name, type}] = a;
  }

  mc::scn::DnsQuery query() {
    return [this](std::string name, Type type, mc::Mono::time_point) -> asio::awaitable<Answer> {
      asked.emplace_back(name, type);
      max_in_flight = std::max(max_in_flight, ++in_flight);
      if (delay.count() > 0) {
        asio::steady_timer t(co_await asio::this_coro::executor, delay);
        co_await t.async_wait(asio::use_awaitable);
      }
      --in_flight;
      if (auto it = answers.find({name, type}); it != answers.end()) co_return it->second;
      Answer nx;
      nx.status = Status::nxdomain;
      co_return nx;
    };
  }
};

template <typename T>
T run(asio::awaitable<T> a) {
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
    if (e) std::rethrow_exception(e);
    out = std::move(v);
  });
  io.run();
  return std::move(*out);
}

const auto kFar = mc::Mono::now() + std::chrono::hours(1);

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("dnsbl.check: every address in every zone, a TXT only for listings", "[dnsbl]") {
  Resolver r;
  r.listed("2.2.0.192.bl.test", "127.0.0.2", "listed for testing");
  r.listed("254.2.0.192.bl.test", "127.255.255.254");
  r.status("20.2.0.192.bl.test", Type::a, Status::servfail);
  r.listed("listed.example.dbl.test", "127.0.1.2");
  const std::vector<DnsblTarget> targets = {{"192.0.2.2", false, true, ""},
                                            {"192.0.2.254", false, true, ""},
                                            {"192.0.2.20", false, false, "sender"},
                                            {"listed.example", true, true, ""}};
  const auto answers =
      run(mc::scn::look_up(targets, {"bl.test", "other.test"}, {"dbl.test"}, r.query(), kFar));
  REQUIRE(answers.size() == 7);
  CHECK(answers[0].query == "2.2.0.192.bl.test");
  CHECK(answers[0].classified.verdict == Verdict::listed);
  CHECK(answers[0].reason == "listed for testing");
  CHECK(answers[1].zone == "other.test");
  CHECK(answers[1].classified.verdict == Verdict::clean);
  CHECK(answers[2].classified.verdict == Verdict::unknown);
  CHECK(answers[4].classified.why == "SERVFAIL");
  CHECK(answers[6].query == "listed.example.dbl.test");
  CHECK(answers[6].classified.verdict == Verdict::listed);
  CHECK(answers[6].reason.empty());
  const auto txt = std::count_if(r.asked.begin(), r.asked.end(),
                                 [](const auto& q) { return q.second == Type::txt; });
  CHECK(txt == 2);  // the two listings, nothing else
  CHECK(r.asked.size() == 9);
}

TEST_CASE("dnsbl.check: queries run at once, at most 16 in flight", "[dnsbl]") {
  Resolver r;
  r.delay = std::chrono::milliseconds(20);
  std::vector<DnsblTarget> targets;
  for (int i = 1; i <= 40; ++i)
    targets.push_back({"192.0.2." + std::to_string(i), false, true, ""});
  const auto begin = std::chrono::steady_clock::now();
  const auto answers = run(mc::scn::look_up(targets, {"bl.test"}, {}, r.query(), kFar));
  const auto took = std::chrono::steady_clock::now() - begin;
  CHECK(answers.size() == 40);
  CHECK(r.max_in_flight == 16);
  CHECK(took < std::chrono::milliseconds(400));  // 3 rounds of 20 ms, not 40
  CHECK(run(mc::scn::look_up({}, {"bl.test"}, {}, r.query(), kFar)).empty());
}

TEST_CASE("dnsbl.check: the addresses of a domain's MX hosts", "[dnsbl]") {
  Resolver r;
  Answer mx;
  mx.status = Status::ok;
  mx.mx = {{20, "mx2.example.test"}, {10, "mx1.example.test"}, {30, "mx1.example.test"}};
  r.answers[{"example.test", Type::mx}] = mx;
  r.addresses("mx1.example.test", Type::a, {"192.0.2.10"});
  r.addresses("mx1.example.test", Type::aaaa, {"2001:DB8::10"});
  r.addresses("mx2.example.test", Type::a, {"192.0.2.10"});  // shared with mx1: asked once
  r.status("mx2.example.test", Type::aaaa, Status::servfail);
  auto found = run(mc::scn::mx_targets("example.test", r.query(), kFar));
  REQUIRE(found.targets.size() == 2);
  CHECK(found.targets[0].name == "192.0.2.10");
  CHECK(found.targets[0].source == "MX mx1.example.test");
  CHECK_FALSE(found.targets[0].labelled);
  CHECK(found.targets[1].name == "2001:db8::10");
  CHECK(found.problems == std::vector<std::string>{"addresses of mx2.example.test: AAAA SERVFAIL"});

  // No MX: the domain itself (RFC 5321 section 5.1); a failed MX query: nothing, said so.
  r.addresses("nomx.test", Type::a, {"192.0.2.11"});
  r.status("nomx.test", Type::mx, Status::nodata);
  found = run(mc::scn::mx_targets("nomx.test", r.query(), kFar));
  REQUIRE(found.targets.size() == 1);
  CHECK(found.targets[0].source == "MX nomx.test");
  r.status("broken.test", Type::mx, Status::timeout);
  found = run(mc::scn::mx_targets("broken.test", r.query(), kFar));
  CHECK(found.targets.empty());
  CHECK(found.problems == std::vector<std::string>{"MX of broken.test: no answer in time"});
}

namespace {

mc::RunResult one_step_run(mc::StepResult st, mc::ScenarioResult sc) {
  mc::RunResult run;
  run.version = "0.1.0";
  run.vantage = "test";
  sc.name = "bl";
  sc.steps.push_back(std::move(st));
  run.status = sc.status;
  run.scenarios.push_back(std::move(sc));
  return run;
}

}  // namespace

TEST_CASE("dnsbl.check: a listing fails the step, in every output", "[dnsbl]") {
  Resolver r;
  r.listed("2.2.0.192.bl.test", "127.0.0.2", "listed for testing");
  r.listed("10.2.0.192.bl.test", "127.0.0.1");
  const std::vector<DnsblTarget> targets = {{"192.0.2.2", false, true, ""},
                                            {"192.0.2.10", false, true, ""},
                                            {"192.0.2.1", false, false, "sender"}};
  const auto answers = run(mc::scn::look_up(targets, {"bl.test"}, {}, r.query(), kFar));
  mc::StepResult st;
  st.step = "dnsbl.check";
  mc::ScenarioResult sc;
  auto failure = mc::scn::report_dnsbl(answers, {}, false, st, sc);
  REQUIRE(failure);
  CHECK(failure->reason == mc::Reason::listed);
  CHECK(failure->phase == "query");
  CHECK(failure->message == "192.0.2.2 in bl.test: listed (127.0.0.2 \"listed for testing\")");
  CHECK(*st.note ==
        "unknown: 192.0.2.10 in bl.test: unknown (answered 127.0.0.1: no list answers "
        "127.0.0.1 for a listing (a refused query))");
  const auto* counts = st.detail("dnsbl_counts");
  REQUIRE(counts);
  CHECK(counts->value == nlohmann::json({{"listed", 1}, {"clean", 1}, {"unknown", 1}}));
  CHECK(counts->summary);
  const auto& list = st.detail("dnsbl")->value;
  REQUIRE(list.size() == 3);
  CHECK(list[0] == nlohmann::json({{"address", "192.0.2.2"},
                                   {"source", nullptr},
                                   {"zone", "bl.test"},
                                   {"query", "2.2.0.192.bl.test"},
                                   {"verdict", "listed"},
                                   {"codes", {"127.0.0.2"}},
                                   {"reason", "listed for testing"},
                                   {"why", nullptr}}));
  CHECK(list[2]["source"] == "sender");
  CHECK(list[2]["verdict"] == "clean");

  st.status = "failed";
  sc.status = mc::Status::critical;
  sc.failure = mc::ScenarioFailure{"dnsbl.check", *failure};
  const auto run = one_step_run(st, sc);
  const std::string metrics = mc::render_metrics(run, {}, false);
  CHECK(has(metrics, "# TYPE mailcanary_dnsbl_listed gauge\n"));
  CHECK(has(metrics,
            "mailcanary_dnsbl_listed{scenario=\"bl\",zone=\"bl.test\",address=\"192.0.2.2\"} 1\n"));
  // The sender is no label; the unknown answer is no series.
  CHECK(has(metrics, "mailcanary_dnsbl_listed{scenario=\"bl\",zone=\"bl.test\"} 0\n"));
  CHECK_FALSE(has(metrics, "192.0.2.10"));
  CHECK_FALSE(has(metrics, "192.0.2.1\""));
  CHECK(has(metrics, "reason=\"listed\""));
  CHECK(has(mc::nagios_line(run), "192.0.2.2 in bl.test: listed"));
  CHECK(has(mc::render_junit(run), "type=\"listed\""));
  CHECK(has(mc::render_junit(run), "block lists: 1 listed, 1 clean, 1 unknown"));
  std::ostringstream table;
  mc::print_table(table, run);
  CHECK(has(table.str(), "block lists: 192.0.2.2 in bl.test: listed"));
  CHECK(has(mc::render_html(run, {}), "block lists: 1 listed, 1 clean, 1 unknown"));
  CHECK(has(mc::to_json(run).dump(), "\"dnsbl_counts\":{\"clean\":1,\"listed\":1,\"unknown\":1}"));
}

TEST_CASE("dnsbl.check: unknown answers and listed warn make a warning, never a failure",
          "[dnsbl]") {
  Resolver r;
  r.listed("2.2.0.192.bl.test", "127.0.0.2");
  r.listed("254.2.0.192.bl.test", "127.255.255.254");
  auto answers =
      run(mc::scn::look_up({{"192.0.2.2", false, true, ""}}, {"bl.test"}, {}, r.query(), kFar));
  mc::StepResult st;
  mc::ScenarioResult sc;
  CHECK_FALSE(mc::scn::report_dnsbl(answers, {}, true, st, sc));
  CHECK(st.status == "warning");
  CHECK(sc.status == mc::Status::warning);
  CHECK(*st.note == "listed: 192.0.2.2 in bl.test: listed (127.0.0.2)");

  answers =
      run(mc::scn::look_up({{"192.0.2.254", false, true, ""}}, {"bl.test"}, {}, r.query(), kFar));
  st = {};
  sc = {};
  CHECK_FALSE(mc::scn::report_dnsbl(answers, {}, false, st, sc));
  CHECK(st.status == "warning");
  CHECK(has(*st.note, "127.255.255.254: the list's error code for a query through a public"));
  CHECK_FALSE(has(mc::render_metrics(one_step_run(st, sc), {}, false), "mailcanary_dnsbl_listed{"));

  // Nothing could be asked: a warning that says why.
  st = {};
  sc = {};
  CHECK_FALSE(mc::scn::report_dnsbl(
      {}, {"the sender: no public address in the probe's Received fields"}, false, st, sc));
  CHECK(st.status == "warning");
  CHECK(*st.note == "not looked up: the sender: no public address in the probe's Received fields");
  CHECK(st.detail("dnsbl_problems"));

  // All clean: ok.
  answers =
      run(mc::scn::look_up({{"192.0.2.1", false, true, ""}}, {"bl.test"}, {}, r.query(), kFar));
  st = {};
  sc = {};
  CHECK_FALSE(mc::scn::report_dnsbl(answers, {}, false, st, sc));
  CHECK(st.status == "ok");
  CHECK_FALSE(st.note);
  CHECK(has(mc::render_metrics(one_step_run(st, sc), {}, false),
            "mailcanary_dnsbl_listed{scenario=\"bl\",zone=\"bl.test\",address=\"192.0.2.1\"} 0\n"));
}

namespace {

// The good file with a dnsbl.check of `keys` after imap.delete, on line 15.
std::string with_check(const std::string& keys) {
  return good_with(
      R"({ "step": "imap.delete" } ])",
      "{ \"step\": \"imap.delete\" },\n      { \"step\": \"dnsbl.check\", " + keys + " } ]");
}

}  // namespace

TEST_CASE("dnsbl.check: the invalid-file rows of its keys", "[dnsbl][scenario]") {
  ::setenv("MC_TEST_PW", kSentinel, 1);
  const std::vector<Row> rows = {
      {"dnsbl: addresses in zones, domains in domain zones",
       {{"s.json",
         with_check(
             R"("addresses": ["192.0.2.7", "2001:db8::7"], "zones": "zen.spamhaus.org", "domains": "example.com", "domain_zones": ["dbl.spamhaus.org"], "listed": "warn")")}},
       {}},
      {"dnsbl: the sender after imap.wait",
       {{"s.json", with_check(R"("of": "sender", "zones": ["bl.test"])")}},
       {}},
      {"dnsbl: the MX hosts of a domain",
       {{"s.json", with_check(R"("of": "mx:Example.COM", "zones": ["bl.test"], "timeout": "5s")")}},
       {}},
      {"dnsbl: nothing to look up",
       {{"s.json", with_check(R"("listed": "warn")")}},
       {"{dir}/s.json: line 15, column 7 (scenarios[0].steps[3]): dnsbl.check needs something to "
        "look up: \"addresses\" (or \"of\") with \"zones\", and/or \"domains\" with "
        "\"domain_zones\""}},
      {"dnsbl: entries that are no address, zone or domain",
       {{"s.json",
         with_check(
             R"("addresses": ["192.0.2.300", "mail.example.com", "192.0.2.7", "192.0.2.7"], "zones": ["zen", "bl..test", "192.0.2.1"], "domains": ["192.0.2.8", "-x.test"], "domain_zones": ["dbl.test"])")}},
       {"{dir}/s.json: line 15, column 46 (scenarios[0].steps[3].addresses[0]): \"192.0.2.300\" is "
        "not an IPv4 or IPv6 address: write it like \"192.0.2.7\" or \"2001:db8::7\"",
        "{dir}/s.json: line 15, column 61 (scenarios[0].steps[3].addresses[1]): "
        "\"mail.example.com\" is not an IPv4 or IPv6 address: write it like \"192.0.2.7\" or "
        "\"2001:db8::7\"",
        "{dir}/s.json: line 15, column 94 (scenarios[0].steps[3].addresses[3]): \"192.0.2.7\" is "
        "named twice; name it once",
        "{dir}/s.json: line 15, column 118 (scenarios[0].steps[3].zones[0]): \"zen\" is a single "
        "label, no list's zone: give the whole name, like \"zen.spamhaus.org\"",
        "{dir}/s.json: line 15, column 125 (scenarios[0].steps[3].zones[1]): \"bl..test\" is not a "
        "DNS zone: give a list's zone name, like \"zen.spamhaus.org\"",
        "{dir}/s.json: line 15, column 137 (scenarios[0].steps[3].zones[2]): \"192.0.2.1\" is not "
        "a DNS zone: give a list's zone name, like \"zen.spamhaus.org\"",
        "{dir}/s.json: line 15, column 163 (scenarios[0].steps[3].domains[0]): \"192.0.2.8\" is an "
        "address: look it up with \"addresses\" and \"zones\"",
        "{dir}/s.json: line 15, column 176 (scenarios[0].steps[3].domains[1]): \"-x.test\" is not "
        "a domain name: write it like \"example.com\""}},
      {"dnsbl: of and addresses together, a source that is none, a policy that is none",
       {{"s.json",
         with_check(
             R"("of": "mx:", "addresses": ["192.0.2.7"], "zones": ["bl.test"], "listed": "fail")")}},
       {"{dir}/s.json: line 15, column 38 (scenarios[0].steps[3].of): \"mx:\" names no domain: "
        "write \"mx:\" and the domain, like \"mx:example.com\"",
        "{dir}/s.json: line 15, column 38 (scenarios[0].steps[3].of): \"of\" and \"addresses\" "
        "both say which addresses to look up: keep one",
        "{dir}/s.json: line 15, column 105 (scenarios[0].steps[3].listed): \"fail\" is not a "
        "policy: write \"crit\" or \"warn\""}},
      {"dnsbl: keys that need their partner",
       {{"s.json", with_check(R"("addresses": ["192.0.2.7"], "domains": ["example.com"])")}},
       {"{dir}/s.json: line 15, column 7 (scenarios[0].steps[3]): addresses to look up need "
        "\"zones\", the block lists to ask, like [\"zen.spamhaus.org\"]",
        "{dir}/s.json: line 15, column 7 (scenarios[0].steps[3]): \"domains\" needs "
        "\"domain_zones\", the domain lists to ask, like [\"dbl.spamhaus.org\"]"}},
      {"dnsbl: zones without addresses, domain zones without domains",
       {{"s.json", with_check(R"("zones": ["bl.test"], "domain_zones": ["dbl.test"])")}},
       {"{dir}/s.json: line 15, column 7 (scenarios[0].steps[3]): \"domain_zones\" needs "
        "\"domains\" to look up",
        "{dir}/s.json: line 15, column 41 (scenarios[0].steps[3].zones): \"zones\" needs addresses "
        "to look up: give \"addresses\" or \"of\""}},
      {"dnsbl: the sender with no wait before it",
       {{"s.json",
         good_with(R"({ "step": "smtp.send", "server": "submission", "account": "probe" },)",
                   R"({ "step": "dnsbl.check", "of": "sender", "zones": ["bl.test"] },
      { "step": "smtp.send", "server": "submission", "account": "probe" },)")}},
       {"{dir}/s.json: line 12, column 38 (scenarios[0].steps[0].of): \"sender\" is read from the "
        "probe as a wait step found it, and no step before this one waits for the probe: put an "
        "imap.wait before it"}},
      {"dns: the resolvers the file's queries go to",
       {{"s.json",
         good_with(
             R"("version": 1,)",
             R"("version": 1, "dns": { "servers": ["127.0.0.1:5353", "[::1]:53", "192.0.2.53", "2001:db8::53"], "timeout": "2s" },)")}},
       {}},
      {"dnsbl: a key of another kind",
       {{"s.json",
         with_check(R"("addresses": ["192.0.2.7"], "zones": ["bl.test"], "mailbox": "INBOX")")}},
       {"{dir}/s.json: line 15, column 82 (scenarios[0].steps[3].mailbox): \"mailbox\" belongs to "
        "imap.wait, imap.delete: it names the mailbox to look in; remove it here"}},
  };

  for (const auto& row : rows) {
    INFO("row: " << row.name);
    TempDir dir;
    std::vector<std::string> expected;
    for (const auto& e : row.expected) expected.push_back(replace_all(e, "{dir}", dir.path()));
    const auto got = load_row(row, dir.path());
    CHECK(got == expected);
  }
}
