// End-to-end: dnsbl.check against the tier's dnsmasq serving the test lists of
// tests/e2e/dns/dnsbl.conf (each kind of answer a list gives), and a resolver of the test's
// own that answers SERVFAIL. Every file's "dns" names a loopback server: no query leaves it.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>

#include "codec/time.hpp"
#include "tests/e2e/platform.hpp"
#include "tests/support/run_binary.hpp"

using mc::e2e::run;
using mc::e2e::var;
using nlohmann::json;

namespace {

// A free UDP port on loopback, for a server of the test's own.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// The tier's dnsmasq (tests/e2e/dns.sh, MC_DNS_PORT) where the platform runs one; else one of
// the test's own, set up as dns.sh sets its own up, serving tests/e2e/dns/dnsbl.conf.
std::string dns_port() {
  try {
    return var("MC_DNS_PORT");
  } catch (const std::runtime_error&) {
  }
  static std::unique_ptr<mc::test::Spawned> own;
  static std::string port;
  if (own) return port;
  const std::string dir = mc::test::make_temp_dir("mc-e2e-dnsbl-dns");
  port = std::to_string(free_port());
  const std::string conf = std::string(MAILCANARY_SOURCE_DIR) + "/tests/e2e/dns/dnsbl.conf";
  mc::test::write_file(dir + "/dnsmasq.conf",
                       "port=" + port +
                           "\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n"
                           "no-poll\nlocal=/test/\nuser=root\nconf-file=" +
                           conf + "\n");
  own = std::make_unique<mc::test::Spawned>(
      "/usr/sbin/dnsmasq",
      std::vector<std::string>{"--keep-in-foreground", "--conf-file=" + dir + "/dnsmasq.conf"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return port;
}

json dns_block() {
  return {{"servers", json::array({"127.0.0.1:" + dns_port()})}, {"timeout", "500ms"}};
}

json dnsbl_file(const json& steps, const std::string& name = "dnsbl") {
  json f = mc::e2e::scenario_file(steps, name);
  f["dns"] = dns_block();
  return f;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The answer for `name` in `zone` of a dnsbl detail.
json answer(const json& step, const std::string& name, const std::string& zone) {
  for (const auto& a : step["dnsbl"])
    if ((a.value("address", "") == name || a.value("domain", "") == name) && a["zone"] == zone)
      return a;
  return nullptr;
}

// A resolver that answers SERVFAIL to every query, on a loopback port of its own.
class ServfailResolver {
 public:
  ServfailResolver() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    timeval tv{0, 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    thread_ = std::thread([this] { serve(); });
  }
  ~ServfailResolver() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  int queries() const { return queries_; }

 private:
  void serve() {
    unsigned char buf[512];
    while (!stop_) {
      sockaddr_in from{};
      socklen_t len = sizeof from;
      const auto n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 12) continue;
      ++queries_;
      buf[2] = static_cast<unsigned char>(0x80 | (buf[2] & 0x01));  // QR, RD as asked
      buf[3] = 0x82;                                                // RA, rcode 2 SERVFAIL
      for (int i = 6; i < 12; ++i) buf[i] = 0;                      // no records
      // The question only: an EDNS record of the query would stand after it uncounted.
      std::size_t end = 12;
      while (end < static_cast<std::size_t>(n) && buf[end] != 0) end += buf[end] + 1u;
      end = std::min(end + 5, static_cast<std::size_t>(n));  // the root label, type, class
      ::sendto(fd_, buf, end, 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("dnsbl: each kind of answer of a real dnsmasq", "[e2e][dnsbl]") {
  const json check = {{"step", "dnsbl.check"},
                      {"addresses",
                       {"192.0.2.2", "192.0.2.1", "192.0.2.254", "192.0.2.10", "192.0.2.20",
                        "192.0.2.30", "2001:db8::2"}},
                      {"zones", {"bl.test"}},
                      {"domains", {"listed.example", "clean.example"}},
                      {"domain_zones", {"dbl.test"}},
                      {"listed", "warn"},
                      {"timeout", "5s"}};
  const std::string dir = mc::test::make_temp_dir("mc-e2e-dnsbl");
  const std::string prom = dir + "/mailcanary.prom";
  const auto begin = std::chrono::steady_clock::now();
  const auto r = run(dnsbl_file(json::array({check})), {}, {"--textfile", prom});
  const auto took = std::chrono::steady_clock::now() - begin;
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 1);  // listings under "listed": "warn", unknown answers: a warning
  const json& st = r.result["scenarios"][0]["steps"][0];
  INFO(st.dump(2));
  CHECK(st["status"] == "warning");
  auto listed = answer(st, "192.0.2.2", "bl.test");
  CHECK(listed["verdict"] == "listed");
  CHECK(listed["query"] == "2.2.0.192.bl.test");
  CHECK(listed["codes"] == json::array({"127.0.0.2"}));
  CHECK(listed["reason"] ==
        "Listed by the mailcanary test list, see https://bl.test/query/192.0.2.2");
  CHECK(answer(st, "2001:db8::2", "bl.test")["verdict"] == "listed");
  CHECK(answer(st, "192.0.2.1", "bl.test")["verdict"] == "clean");
  const auto spamhaus = answer(st, "192.0.2.254", "bl.test");
  CHECK(spamhaus["verdict"] == "unknown");
  CHECK(has(spamhaus["why"],
            "127.255.255.254: the list's error code for a query through a "
            "public or open resolver"));
  CHECK(answer(st, "192.0.2.10", "bl.test")["verdict"] == "unknown");
  CHECK(answer(st, "192.0.2.20", "bl.test")["verdict"] == "unknown");
  CHECK(answer(st, "192.0.2.20", "bl.test")["why"] == "REFUSED");
  CHECK(answer(st, "192.0.2.30", "bl.test")["verdict"] == "unknown");
  CHECK(answer(st, "listed.example", "dbl.test")["verdict"] == "listed");
  CHECK(answer(st, "listed.example", "dbl.test")["reason"] ==
        "Spam domain, see https://dbl.test/listed.example");
  CHECK(answer(st, "clean.example", "dbl.test")["verdict"] == "clean");
  CHECK(st["dnsbl_counts"] == json({{"listed", 3}, {"clean", 2}, {"unknown", 4}}));
  // The queries run at once: the one that gets no answer holds the step, not each in turn.
  CHECK(took < std::chrono::seconds(5));
  CHECK(st["phases"][0]["phase"] == "query");

  const std::string metrics = mc::test::read_file(prom);
  CHECK(has(metrics,
            "mailcanary_dnsbl_listed{scenario=\"dnsbl\",zone=\"bl.test\",address=\"192.0.2.2\","
            "vantage=\"e2e\"} 1\n"));
  CHECK(has(metrics,
            "mailcanary_dnsbl_listed{scenario=\"dnsbl\",zone=\"bl.test\",address=\"192.0.2.1\","
            "vantage=\"e2e\"} 0\n"));
  CHECK(has(metrics, "zone=\"dbl.test\",domain=\"listed.example\",vantage=\"e2e\"} 1\n"));
  CHECK_FALSE(has(metrics, "192.0.2.254"));  // unknown: no series
  const auto promtool =
      mc::test::run_program("/bin/sh", {"-c", "/usr/bin/promtool check metrics < " + prom});
  INFO(promtool.out << promtool.err);
  CHECK(promtool.exit_code == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("dnsbl: a listing is critical, in every output", "[e2e][dnsbl]") {
  const json check = {
      {"step", "dnsbl.check"}, {"addresses", {"192.0.2.2"}}, {"zones", {"bl.test"}}};
  const std::string dir = mc::test::make_temp_dir("mc-e2e-dnsbl");
  const auto r = run(dnsbl_file(json::array({check})), {},
                     {"--nagios", "--junit", dir + "/junit.xml", "--html", dir + "/r.html"});
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  const json& sc = r.result["scenarios"][0];
  CHECK(sc["failure"]["reason"] == "listed");
  CHECK(sc["failure"]["phase"] == "query");
  CHECK(has(sc["failure"]["message"], "192.0.2.2 in bl.test: listed (127.0.0.2"));
  CHECK(has(r.ran.out, "MAILCANARY CRITICAL"));
  CHECK(has(r.ran.out, "192.0.2.2 in bl.test: listed"));
  CHECK(has(mc::test::read_file(dir + "/junit.xml"), "type=\"listed\""));
  CHECK(has(mc::test::read_file(dir + "/r.html"), "block lists: 1 listed, 0 clean, 0 unknown"));
}

TEST_CASE("dnsbl: the MX hosts' addresses, and the sending server of a delivered probe",
          "[e2e][dnsbl]") {
  const json mx = {{"step", "dnsbl.check"},
                   {"of", "mx:dnsbl-mx.test"},
                   {"zones", {"bl.test"}},
                   {"listed", "warn"}};
  auto r = run(dnsbl_file(json::array({mx})));
  INFO(r.ran.out << r.ran.err);
  json st = r.result["scenarios"][0]["steps"][0];
  INFO(st.dump(2));
  CHECK(r.ran.exit_code == 1);
  CHECK(answer(st, "192.0.2.2", "bl.test")["source"] == "MX mx1.dnsbl-mx.test");
  CHECK(answer(st, "192.0.2.2", "bl.test")["verdict"] == "listed");
  CHECK(answer(st, "192.0.2.1", "bl.test")["verdict"] == "clean");
  CHECK_FALSE(st.contains("dnsbl_problems"));
  CHECK(st["phases"][0]["phase"] == "resolve");

  // The sending server: the Received field Postfix finds in the probe below its own (from
  // the probe on loopback, which is no public address).
  const std::string received =
      "Received: from out.sender.test (out.sender.test [192.0.2.2]) by "
      "relay.sender.test with ESMTPS id 4Sdnsbl; " +
      mc::rfc5322_date(mc::Wall::now());
  const json steps = json::array(
      {{{"step", "smtp.send"}, {"server", "out"}, {"account", "probe"}, {"headers", {received}}},
       {{"step", "imap.wait"}, {"server", "store"}, {"account", "probe"}, {"timeout", "30s"}},
       {{"step", "dnsbl.check"}, {"of", "sender"}, {"zones", {"bl.test"}}, {"listed", "warn"}},
       {{"step", "imap.delete"}}});
  r = run(dnsbl_file(steps, "sender"));
  INFO(r.ran.out << r.ran.err);
  st = r.result["scenarios"][0]["steps"][2];
  INFO(st.dump(2));
  CHECK(r.ran.exit_code == 1);
  CHECK(st["sender"] == "192.0.2.2");
  CHECK(answer(st, "192.0.2.2", "bl.test")["source"] == "sender");
  CHECK(answer(st, "192.0.2.2", "bl.test")["verdict"] == "listed");
  CHECK(r.result["scenarios"][0]["steps"][3]["status"] == "ok");  // the probe is deleted
}

TEST_CASE("dnsbl: SERVFAIL is unknown, never a listing", "[e2e][dnsbl]") {
  ServfailResolver resolver;
  const json check = {
      {"step", "dnsbl.check"}, {"addresses", {"192.0.2.2"}}, {"zones", {"bl.test"}}};
  json f = dnsbl_file(json::array({check}));
  f["dns"]["servers"] = json::array({"127.0.0.1:" + std::to_string(resolver.port())});
  const auto r = run(f);
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 1);
  const json& st = r.result["scenarios"][0]["steps"][0];
  CHECK(answer(st, "192.0.2.2", "bl.test")["verdict"] == "unknown");
  CHECK(answer(st, "192.0.2.2", "bl.test")["why"] == "SERVFAIL");
  CHECK(resolver.queries() >= 1);
}
