// The JUnit and HTML reporters, from run models built by hand: counts, escaping of hostile server
// text, well-formed XML, and a self-contained HTML report with one waterfall per scenario.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "reporters/html_reporter.hpp"
#include "reporters/junit_reporter.hpp"
#include "reporters/markup.hpp"

using namespace mc;
namespace fs = std::filesystem;

namespace {

const std::string kHostile = "<script>alert(1)</script> & \"quoted\" 'single' \x07 bell \xff";

Wall::time_point at(double offset_s) {
  // 2026-11-23T12:00:00.123Z
  return Wall::time_point(std::chrono::milliseconds(1795435200123LL)) +
         std::chrono::duration_cast<Wall::duration>(std::chrono::duration<double>(offset_s));
}

std::vector<PhaseResult> phases(std::initializer_list<std::pair<const char*, double>> list,
                                double start) {
  std::vector<PhaseResult> out;
  for (const auto& [name, d] : list) {
    out.push_back({name, start, d});
    start += d + 0.0005;
  }
  return out;
}

TlsFacts tls(double days) {
  TlsFacts t;
  t.version = "TLSv1.3";
  t.cipher = "TLS_AES_256_GCM_SHA384";
  t.verified = true;
  t.cert_not_after = at(days * 86400.0);
  t.chain_expiry_s = days * 86400.0;
  return t;
}

StepResult smtp_send(double start) {
  StepResult s;
  s.step = "smtp.send";
  s.start_s = start;
  s.server = "smtp://mail.example.test:587";
  s.address = "192.0.2.10:587";
  s.phases = phases({{"resolve", 0.003},
                     {"connect", 0.011},
                     {"banner", 0.021},
                     {"ehlo", 0.009},
                     {"starttls", 0.007},
                     {"tls_handshake", 0.042},
                     {"ehlo_tls", 0.008},
                     {"auth", 0.024},
                     {"mail_from", 0.008},
                     {"rcpt_to", 0.011},
                     {"data", 0.006},
                     {"message", 0.027},
                     {"quit", 0.005}},
                    start + 0.001);
  s.duration_s = s.phases.back().start_s + s.phases.back().duration_s - start + 0.001;
  s.tls = tls(89.5);
  s.add_detail("queue_id", "72DC6A72182", "queue id 72DC6A72182", /*summary=*/true);
  return s;
}

StepResult imap_wait(double start, double search_s, std::optional<double> warn,
                     std::optional<double> crit) {
  StepResult s;
  s.step = "imap.wait";
  s.start_s = start;
  s.server = "imaps://mail.example.test:993";
  s.address = "192.0.2.11:993";
  s.phases = phases({{"resolve", 0.002},
                     {"connect", 0.010},
                     {"tls_handshake", 0.038},
                     {"greeting", 0.004},
                     {"capability", 0.003},
                     {"login", 0.031},
                     {"select", 0.006},
                     {"search", search_s}},
                    start + 0.001);
  s.duration_s = s.phases.back().start_s + s.phases.back().duration_s - start + 0.001;
  s.tls = tls(12.2);
  s.warn_s = warn;
  s.crit_s = crit;
  s.add_detail("uids", std::vector<std::uint32_t>{4711}, "uids 4711");
  s.add_detail("searches", 3, "3 searches");
  return s;
}

StepResult imap_delete(double start) {
  StepResult s;
  s.step = "imap.delete";
  s.start_s = start;
  s.server = "imaps://mail.example.test:993";
  s.address = "192.0.2.11:993";
  s.phases = phases({{"store", 0.006}, {"expunge", 0.009}, {"logout", 0.003}}, start + 0.0005);
  s.duration_s = 0.021;
  s.add_detail("uids", std::vector<std::uint32_t>{4711}, "uids 4711");
  return s;
}

// Delivery starts where smtp.send's "message" phase ends, as the runner measures it.
void set_delivery(ScenarioResult& sc, const StepResult& send, const StepResult& wait) {
  const auto& msg = send.phases[11];
  const auto& search = wait.phases.back();
  const double queued = msg.start_s + msg.duration_s;
  const double seen = search.start_s + search.duration_s;
  sc.queued_at = sc.started_at +
                 std::chrono::duration_cast<Wall::duration>(std::chrono::duration<double>(queued));
  sc.seen_at = sc.started_at +
               std::chrono::duration_cast<Wall::duration>(std::chrono::duration<double>(seen));
  sc.delivery_s = seen - queued;
}

RunResult sample_run() {
  RunResult run;
  run.version = "0.1.0";
  run.vantage = "fra1";
  run.started_at = at(0);
  run.status = Status::unknown;
  run.warnings = {"state file /var/lib/mailcanary/x.json was unreadable; moved aside"};

  {
    ScenarioResult sc;
    sc.name = "submission-to-inbox";
    sc.status = Status::ok;
    sc.token = "3f2a9c0d5e6b7a8190a1b2c3d4e5f607";
    sc.started_at = at(0.002);
    auto send = smtp_send(0.0);
    auto wait = imap_wait(send.duration_s + 0.002, 0.41, 10.0, 30.0);
    auto del = imap_delete(wait.start_s + wait.duration_s + 0.001);
    set_delivery(sc, send, wait);
    sc.duration_s = del.start_s + del.duration_s + 0.002;
    sc.steps = {send, wait, del};
    sc.placement = mc::Placement::inbox;
    sc.placement_mailbox = "INBOX";
    EarlierProbe late;
    late.token = "0123456789abcdef0123456789abcdef";
    late.queued_at = at(-300);
    late.delivered_at = at(-120);
    late.delivery_s = 180;
    sc.late.push_back(late);
    EarlierProbe lost;
    lost.token = "fedcba9876543210fedcba9876543210";
    lost.queued_at = at(-90000);
    sc.lost.push_back(lost);
    run.scenarios.push_back(sc);
  }
  {
    ScenarioResult sc;
    sc.name = "mx-delivery";
    sc.status = Status::warning;
    sc.token = "aa2a9c0d5e6b7a8190a1b2c3d4e5f607";
    sc.started_at = at(0.004);
    auto send = smtp_send(0.0);
    send.server = "smtp://mx.example.test:25";
    send.address = "192.0.2.25:25";
    auto wait = imap_wait(send.duration_s + 0.002, 12.1, 10.0, 30.0);
    wait.status = "warning";
    wait.threshold = "warn";
    auto del = imap_delete(wait.start_s + wait.duration_s + 0.001);
    set_delivery(sc, send, wait);
    sc.duration_s = del.start_s + del.duration_s + 0.002;
    sc.steps = {send, wait, del};
    sc.pending = 1;
    // Received: dates have whole seconds: 12:00:01, 12:00:10, 12:00:12 (the Date: 12:00:00).
    sc.hops = {{"mx", "mx.example.test", "ESMTPS", at(0.877), 1.0, false},
               {"filter", "filter.example.test", "ESMTP", at(9.877), 9.0, false},
               {"mailstore", "store.example.test", "LMTP", at(11.877), 2.0, false}};
    run.scenarios.push_back(sc);
  }
  {
    ScenarioResult sc;
    sc.name = "hostile-reject";
    sc.status = Status::critical;
    sc.token = "bb2a9c0d5e6b7a8190a1b2c3d4e5f607";
    sc.started_at = at(0.006);
    auto send = smtp_send(0.0);
    send.status = "failed";
    send.phases.resize(10);  // up to rcpt_to
    send.duration_s = send.phases.back().start_s + send.phases.back().duration_s + 0.001;
    send.details.clear();  // no queue id: the message was never accepted
    send.transcript = {
        {TranscriptLine::Dir::note, "connected to 192.0.2.10:587"},
        {TranscriptLine::Dir::server, "220 mail.example.test ESMTP"},
        {TranscriptLine::Dir::client, "EHLO probe.example.test"},
        {TranscriptLine::Dir::server, "250-mail.example.test"},
        {TranscriptLine::Dir::server, "250 STARTTLS"},
        {TranscriptLine::Dir::client, "AUTH PLAIN [redacted]"},
        {TranscriptLine::Dir::server, "235 2.7.0 Authentication successful"},
        {TranscriptLine::Dir::client, "MAIL FROM:<probe@example.test>"},
        {TranscriptLine::Dir::server, "250 2.1.0 Ok"},
        {TranscriptLine::Dir::client, "RCPT TO:<probe@example.test>"},
        {TranscriptLine::Dir::server, "550 5.7.1 " + kHostile},
    };
    StepResult wait;
    wait.step = "imap.wait";
    wait.status = "skipped";
    wait.start_s = send.duration_s;
    StepResult del = wait;
    del.step = "imap.delete";
    sc.steps = {send, wait, del};
    Failure f;
    f.reason = Reason::rejected;
    f.phase = "rcpt_to";
    f.message = "RCPT TO <probe@example.test> refused: \"policy\" & more";
    f.reply = ServerReply{550, "5.7.1", kHostile, ""};
    sc.failure = ScenarioFailure{"smtp.send", f};
    sc.duration_s = send.duration_s + 0.001;
    run.scenarios.push_back(sc);
  }
  {
    ScenarioResult sc;
    sc.name = "broken-internals";
    sc.status = Status::unknown;
    sc.started_at = at(0.008);
    sc.failure =
        ScenarioFailure{"", Failure{Reason::internal, "", "vector::_M_range_check <oops>", {}}};
    run.scenarios.push_back(sc);
  }
  for (const auto& sc : run.scenarios) run.duration_s = std::max(run.duration_s, sc.duration_s);
  run.duration_s += 0.01;
  return run;
}

ReportContext sample_context() {
  ReportContext ctx;
  ctx.deadline = Mono::now() + std::chrono::seconds(10);
  ctx.last_success = {{"submission-to-inbox", 1795435200.0}, {"mx-delivery", 1795435200.0}};
  return ctx;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path temp_dir() {
  auto dir = fs::temp_directory_path() /
             ("mc-reporters-" + std::to_string(::getpid()) + "-" +
              std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(dir);
  return dir;
}

// A small well-formedness check that needs no XML library: every character is allowed in XML
// 1.0, every '&' starts a reference, and start and end tags balance.
bool well_formed(const std::string& x, std::string& why) {
  for (unsigned char c : x)
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return (why = "control character"), false;
  std::vector<std::string> open;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] == '&') {
      const auto semi = x.find(';', i);
      const std::string ref = x.substr(i, semi == std::string::npos ? 8 : semi - i + 1);
      if (ref != "&amp;" && ref != "&lt;" && ref != "&gt;" && ref != "&quot;" && ref != "&apos;" &&
          ref.rfind("&#", 0) != 0)
        return (why = "bad reference " + ref), false;
    } else if (x[i] == '<') {
      const auto end = x.find('>', i);
      if (end == std::string::npos) return (why = "unterminated tag"), false;
      std::string tag = x.substr(i + 1, end - i - 1);
      i = end;
      if (tag[0] == '?' || tag[0] == '!') continue;
      if (tag[0] == '/') {
        if (open.empty() || open.back() != tag.substr(1)) return (why = "mismatched " + tag), false;
        open.pop_back();
      } else if (tag.back() != '/') {
        open.push_back(tag.substr(0, tag.find_first_of(" \t\n")));
      }
    } else if (x[i] == '>') {
      return (why = "raw '>' in text"), false;
    }
  }
  if (!open.empty()) return (why = "unclosed " + open.back()), false;
  return true;
}

}  // namespace

TEST_CASE("markup escaping makes any bytes valid, escaped UTF-8", "[reporters]") {
  CHECK(markup::escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
  CHECK(markup::escape("x\ny", true) == "x&#10;y");
  CHECK(markup::escape("x\ny") == "x\ny");
  CHECK(markup::escape("\r") == "&#13;");
  CHECK(markup::sanitize(std::string("a\0b", 3)) ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(markup::sanitize("\x07\x1b\x7f") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(markup::sanitize("gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x90\xA6") ==
        "gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x90\xA6");
  CHECK(markup::sanitize("\xff") == "\xEF\xBF\xBD");
  CHECK(markup::sanitize("\xC3") == "\xEF\xBF\xBD");                                  // truncated
  CHECK(markup::sanitize("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  CHECK(markup::sanitize("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(markup::sanitize("\xEF\xBF\xBE") == "\xEF\xBF\xBD");                          // U+FFFE
  CHECK(markup::sanitize("\xC2\x85") == "\xEF\xBF\xBD");                              // C1 control
}

TEST_CASE("JUnit: one test case per scenario, failures, errors and warnings", "[reporters]") {
  const RunResult run = sample_run();
  const auto dir = temp_dir();
  const auto path = dir / "junit.xml";
  JUnitReporter reporter(path.string());
  CHECK(reporter.name() == "junit");
  REQUIRE_FALSE(reporter.write(run, sample_context()));
  const std::string x = read(path);
  CHECK(x == render_junit(run));
  CHECK_FALSE(fs::exists(path.string() + ".tmp." + std::to_string(::getpid())));

  std::string why;
  const bool ok = well_formed(x, why);
  INFO(why);
  CHECK(ok);
  if (std::system("command -v xmllint >/dev/null 2>&1") == 0) {
    const std::string cmd = "xmllint --noout '" + path.string() + "'";
    REQUIRE(std::system(cmd.c_str()) == 0);
  } else {
    WARN("xmllint not found (package libxml2-utils); only the built-in check ran");
  }

  CHECK(x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", 0) == 0);
  CHECK(count(x, "<testsuite ") == 1);
  CHECK(x.find("<testsuite name=\"mailcanary\" tests=\"4\" failures=\"1\" errors=\"1\" "
               "skipped=\"0\" time=\"") != std::string::npos);
  CHECK(x.find("timestamp=\"2026-11-23T12:00:00\" hostname=\"fra1\"") != std::string::npos);
  CHECK(count(x, "<testcase classname=\"mailcanary.fra1\"") == 4);
  CHECK(x.find("name=\"submission-to-inbox\"") != std::string::npos);
  CHECK(count(x, "<failure ") == 1);
  CHECK(count(x, "<error ") == 1);

  // The critical scenario: where, why, the server's words and the transcript, all escaped.
  CHECK(x.find("<failure message=\"smtp.send/rcpt_to: rejected\" type=\"rejected\">") !=
        std::string::npos);
  CHECK(x.find("step: smtp.send\nphase: rcpt_to\nreason: rejected\n") != std::string::npos);
  CHECK(x.find("message: RCPT TO &lt;probe@example.test&gt; refused: &quot;policy&quot; &amp; "
               "more") != std::string::npos);
  CHECK(x.find("server reply: 550 5.7.1 &lt;script&gt;alert(1)&lt;/script&gt; &amp; "
               "&quot;quoted&quot; &#39;single&#39; \xEF\xBF\xBD bell \xEF\xBF\xBD") !=
        std::string::npos);
  CHECK(x.find("C: AUTH PLAIN [redacted]\n") != std::string::npos);
  CHECK(x.find("S: 550 5.7.1 &lt;script&gt;") != std::string::npos);
  CHECK(x.find("<script") == std::string::npos);
  CHECK(x.find('\x07') == std::string::npos);

  // The warning passes, naming its threshold; the internal error is an <error>.
  CHECK(x.find("WARNING: imap.wait took 12.") != std::string::npos);
  CHECK(x.find("over its warn threshold of 10.000 s") != std::string::npos);
  CHECK(x.find("<error message=\"internal\" type=\"internal\">") != std::string::npos);
  CHECK(x.find("vector::_M_range_check &lt;oops&gt;") != std::string::npos);
  CHECK(x.find("<system-err>warning: state file") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("JUnit and HTML: a run without scenarios is still a valid document", "[reporters]") {
  RunResult run;
  run.vantage = "a&b";
  const std::string x = render_junit(run);
  std::string why;
  CHECK(well_formed(x, why));
  CHECK(x.find("tests=\"0\" failures=\"0\" errors=\"0\"") != std::string::npos);
  CHECK(x.find("hostname=\"a&amp;b\"") != std::string::npos);

  run.vantage = "<script>x</script>";
  const std::string h = render_html(run, ReportContext{});
  CHECK(count(h, "class=\"waterfall\"") == 0);
  CHECK(h.find("No scenarios ran.") != std::string::npos);
  CHECK(h.find("&lt;script&gt;x&lt;/script&gt;") != std::string::npos);
  CHECK(lower(h).find("<script") == std::string::npos);
}

TEST_CASE("HTML: self-contained, one waterfall per scenario, hostile text escaped", "[reporters]") {
  const RunResult run = sample_run();
  const auto dir = temp_dir();
  const auto path = dir / "report.html";
  HtmlReporter reporter(path.string());
  CHECK(reporter.name() == "html");
  REQUIRE_FALSE(reporter.write(run, sample_context()));
  const std::string h = read(path);
  CHECK(h == render_html(run, sample_context()));

  CHECK(h.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(count(h, "class=\"waterfall\"") == run.scenarios.size());
  CHECK(count(h, "<section class=\"card scenario") == run.scenarios.size());
  // Each section holds exactly its own waterfall.
  for (std::size_t i = 0; i < run.scenarios.size(); ++i) {
    const auto begin = h.find("id=\"scenario-" + std::to_string(i + 1) + "\"");
    const auto end = h.find("</section>", begin);
    REQUIRE(begin != std::string::npos);
    CHECK(count(h.substr(begin, end - begin), "class=\"waterfall\"") == 1);
  }
  // Delivery bars for the two scenarios that were delivered, none for the others.
  CHECK(count(h, "class=\"bar delivery\"") == 2);
  // The mx scenario's three hops under its delivery bar, labelled by the file's names.
  CHECK(count(h, "class=\"bar hop\"") == 3);
  CHECK(h.find("hop mailstore<span class=\"lim\">store.example.test</span>") != std::string::npos);
  // Every step and phase of the first scenario has a bar.
  std::size_t bars = 0;
  for (const auto& st : run.scenarios[0].steps) bars += 1 + st.phases.size();
  const auto s1 = h.find("id=\"scenario-1\"");
  const std::string first = h.substr(s1, h.find("</section>", s1) - s1);
  CHECK(count(first, "<div class=\"bar") == bars + 1);

  // The failed step, with reason, message, reply and transcript, escaped.
  CHECK(count(h, "class=\"wf-row step failed\"") == 1);
  CHECK(count(h, "class=\"wf-row phase failed\"") == 1);
  CHECK(h.find("class=\"failure\"") != std::string::npos);
  CHECK(h.find("550 5.7.1 &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; "
               "&#39;single&#39; \xEF\xBF\xBD bell \xEF\xBF\xBD") != std::string::npos);
  CHECK(h.find("RCPT TO &lt;probe@example.test&gt; refused") != std::string::npos);
  CHECK(h.find("<pre class=\"transcript\">") != std::string::npos);
  CHECK(h.find("C: AUTH PLAIN [redacted]") != std::string::npos);
  CHECK(lower(h).find("<script") == std::string::npos);
  CHECK(h.find('\x07') == std::string::npos);
  CHECK(h.find("vector::_M_range_check &lt;oops&gt;") != std::string::npos);

  // Thresholds, TLS facts, header facts, late and lost probes.
  CHECK(h.find("class=\"limit warn\"") != std::string::npos);
  CHECK(h.find("over its warn threshold of 10 s") != std::string::npos);
  CHECK(h.find("TLSv1.3") != std::string::npos);
  CHECK(h.find("TLS_AES_256_GCM_SHA384") != std::string::npos);
  CHECK(h.find("chain expires in 89 days") != std::string::npos);
  CHECK(h.find("<span class=\"soon\">chain expires in 12 days</span>") != std::string::npos);
  CHECK(h.find("fra1") != std::string::npos);
  CHECK(h.find("<span class=\"badge unknown\">UNKNOWN</span>") != std::string::npos);
  CHECK(h.find("Probes of earlier runs") != std::string::npos);
  CHECK(h.find("<span class=\"badge lost\">LOST</span>") != std::string::npos);

  // Self-contained: nothing to fetch, no scripts.
  for (const char* ref : {"http://", "https://", "src=", "url(", "@import", "<link", "<img"})
    CHECK(lower(h).find(ref) == std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("HTML: a report that cannot be written is an error, not an exception", "[reporters]") {
  HtmlReporter html("/nonexistent-dir/report.html");
  JUnitReporter junit("/nonexistent-dir/junit.xml");
  const auto run = sample_run();
  CHECK(html.write(run, sample_context()));
  CHECK(junit.write(run, sample_context()));
}

// Hidden: writes the sample report to $MC_HTML_SAMPLE for tests/integration/html_in_chromium.sh.
TEST_CASE("HTML sample report for a browser", "[.html-sample]") {
  const char* path = std::getenv("MC_HTML_SAMPLE");
  REQUIRE(path != nullptr);
  HtmlReporter reporter(path);
  REQUIRE_FALSE(reporter.write(sample_run(), sample_context()));
}
