// The invalid-file table for the keys of DNS and direct-to-MX delivery: the file's "dns"
// block, a server's "ip", dns.mx and smtp.send "mx:DOMAIN".
#include <catch2/catch.hpp>

#include "tests/unit/scenario_rows.hpp"

using namespace scenario_rows;

namespace {

const std::string kMxStep =
    R"({ "step": "smtp.send", "server": "mx:example.net", "from": "a@example.test", "to": "b@example.net" },)";

std::string with_dns(const std::string& block) {
  return good_with(R"("version": 1,)", R"("version": 1, "dns": )" + block + ",");
}

std::string with_step(const std::string& step) {
  return good_with(kSendLine, step);
}

const std::vector<Row>& table() {
  static const std::vector<Row> rows = {
      {"dns: servers and timeout",
       {{"s.json",
         with_dns(
             R"({ "servers": ["127.0.0.1:5353", "[::1]:53", "192.0.2.53", "2001:db8::53"], "timeout": "2s" })")}},
       {}},
      {"dns: not an object",
       {{"s.json", with_dns(R"("127.0.0.1")")}},
       {"{dir}/s.json: line 2, column 24 (dns): must be an object like {\"servers\": "
        "[\"192.0.2.53\"], \"timeout\": \"2s\"}"}},
      {"dns: an unknown key",
       {{"s.json", with_dns(R"({ "server": ["127.0.0.1"] })")}},
       {"{dir}/s.json: line 2, column 26 (dns.server): unknown key \"server\"; did you mean "
        "\"servers\"? (known keys here: servers, timeout)"}},
      {"dns: servers not a list",
       {{"s.json", with_dns(R"({ "servers": "127.0.0.1" })")}},
       {"{dir}/s.json: line 2, column 37 (dns.servers): must be a non-empty list of resolver "
        "addresses, like [\"192.0.2.53\", \"127.0.0.1:5353\"]; leave \"servers\" out for the "
        "system's resolvers"}},
      {"dns: a server by name, a bad port, a bad IPv6",
       {{"s.json", with_dns(R"({ "servers": ["ns1.example.net", "127.0.0.1:0", "[::1", 53] })")}},
       {"{dir}/s.json: line 2, column 38 (dns.servers[0]): \"ns1.example.net\" is not an IP "
        "address (a resolver is named by its address, not a host name); give an IP address with an "
        "optional port, like \"192.0.2.53\", \"127.0.0.1:5353\" or \"[::1]:53\"",
        "{dir}/s.json: line 2, column 57 (dns.servers[1]): \"127.0.0.1:0\" has no valid port (1 to "
        "65535); give an IP address with an optional port, like \"192.0.2.53\", \"127.0.0.1:5353\" "
        "or \"[::1]:53\"",
        "{dir}/s.json: line 2, column 72 (dns.servers[2]): \"[::1\" is not an IPv6 address in "
        "brackets; give an IP address with an optional port, like \"192.0.2.53\", "
        "\"127.0.0.1:5353\" or \"[::1]:53\"",
        "{dir}/s.json: line 2, column 80 (dns.servers[3]): must be a string, like \"192.0.2.53\""}},
      {"dns: not a duration",
       {{"s.json", with_dns(R"({ "timeout": "soon" })")}},
       {"{dir}/s.json: line 2, column 37 (dns.timeout): \"soon\" is not a duration; write it like "
        "\"250ms\", \"10s\", \"2m\" or \"1h\""}},
      {"dns: a too long timeout",
       {{"s.json", with_dns(R"({ "timeout": "5m" })")}},
       {"{dir}/s.json: line 2, column 37 (dns.timeout): 5m is longer than a DNS query may wait "
        "(1m); give a shorter one"}},
      {"ip: a number",
       {{"s.json", good_with(R"("smtp://mail.example.test:587" })",
                             R"("smtp://mail.example.test:587", "ip": 4 })")}},
       {"{dir}/s.json: line 4, column 66 (servers.submission.ip): must be a string: write \"4\""}},
      {"ip: another value",
       {{"s.json", good_with(R"("smtp://mail.example.test:587" })",
                             R"("smtp://mail.example.test:587", "ip": "v6" })")}},
       {"{dir}/s.json: line 4, column 66 (servers.submission.ip): must be \"4\" (IPv4 only) or "
        "\"6\" (IPv6 only); leave it out for both"}},
      {"ip: the url's address of the other family",
       {{"s.json", good_with(R"("smtp://mail.example.test:587" })",
                             R"("smtp://[2001:db8::25]:587", "ip": "4" })")}},
       {"{dir}/s.json: line 4, column 63 (servers.submission.ip): the url's host 2001:db8::25 is "
        "an IPv6 address, so \"ip\": \"4\" could never connect; drop \"ip\" or change the url"}},
      {"dns.mx: good",
       {{"s.json",
         with_step(
             R"({ "step": "dns.mx", "domain": "Example.NET.", "expect": { "min": 2, "hosts": ["mx1.example.net"] } },)")}},
       {}},
      {"dns.mx: no domain",
       {{"s.json", with_step(R"({ "step": "dns.mx" },)")}},
       {"{dir}/s.json: line 12, column 7 (scenarios[0].steps[0]): dns.mx needs a \"domain\", like "
        "\"example.net\""}},
      {"dns.mx: a bad domain",
       {{"s.json", with_step(R"({ "step": "dns.mx", "domain": "exa mple.net" },)")}},
       {"{dir}/s.json: line 12, column 37 (scenarios[0].steps[0].domain): \"exa mple.net\" is not "
        "a domain name; give one like \"example.net\""}},
      {"dns.mx: expect min 0, a bad host, an unknown key",
       {{"s.json",
         with_step(
             R"({ "step": "dns.mx", "domain": "example.net", "expect": { "min": 0, "hosts": ["mx 1"], "max": 3 } },)")}},
       {"{dir}/s.json: line 12, column 71 (scenarios[0].steps[0].expect.min): 0 would accept a "
        "domain without MX; give 1 or more, or leave \"expect\" out",
        "{dir}/s.json: line 12, column 84 (scenarios[0].steps[0].expect.hosts[0]): \"mx 1\" is not "
        "a host name; give one like \"mx1.example.net\"",
        "{dir}/s.json: line 12, column 93 (scenarios[0].steps[0].expect.max): unknown key \"max\"; "
        "did you mean \"min\"? (known keys here: min, hosts)"}},
      {"dns.mx: a server",
       {{"s.json",
         with_step(R"({ "step": "dns.mx", "domain": "example.net", "server": "submission" },)")}},
       {"{dir}/s.json: line 12, column 52 (scenarios[0].steps[0].server): \"server\" belongs to "
        "smtp.send, imap.wait, imap.delete, imap.check, pop3.wait, pop3.delete, http.get: it "
        "names the server, from \"servers\"; "
        "remove it here"}},
      {"smtp.send mx: good", {{"s.json", with_step(kMxStep)}}, {}},
      {"smtp.send mx: a policy probe would be delivered by the fallback",
       {{"s.json",
         with_step(
             R"({ "step": "smtp.send", "server": "mx:example.net", "from": "a@example.test", "to": "b@example.net", "expect": "reject" },)")}},
       {"{dir}/s.json: line 12, column 117 (scenarios[0].steps[0].expect): \"expect\" needs a "
        "server from \"servers\", not an \"mx:\" route (which would deliver the probe to the "
        "next MX): name the MX, like \"mx\": { \"url\": \"smtp://mx.example.net:25\", "
        "\"starttls\": \"optional\" }, and use it here",
        "{dir}/s.json: line 13, column 7 (scenarios[0].steps[1]): imap.wait waits for the probe "
        "that scenarios[0].steps[0] (smtp.send) expects the server to refuse, so it is never sent; "
        "remove this step, or the \"expect\" of the smtp.send"}},
      {"smtp.send mx: a port",
       {{"s.json",
         with_step(
             R"({ "step": "smtp.send", "server": "mx:example.net:2525", "from": "a@example.test", "to": "b@example.net" },)")}},
       {}},
      {"smtp.send mx: no domain, a bad port",
       {{"s.json",
         with_step(
             R"({ "step": "smtp.send", "server": "mx:", "from": "a@example.test", "to": "b@example.net" },)")}},
       {"{dir}/s.json: line 12, column 40 (scenarios[0].steps[0].server): \"\" is not a domain "
        "name whose MX hosts take the probe; write \"mx:example.net\" or \"mx:example.net:2525\""}},
      {"smtp.send mx: a bad port",
       {{"s.json",
         with_step(
             R"({ "step": "smtp.send", "server": "mx:example.net:70000", "from": "a@example.test", "to": "b@example.net" },)")}},
       {"{dir}/s.json: line 12, column 40 (scenarios[0].steps[0].server): \"70000\" is not a port "
        "(1 to 65535); write \"mx:example.net\" or \"mx:example.net:2525\""}},
      {"smtp.send mx: an account",
       {{"s.json",
         with_step(R"({ "step": "smtp.send", "server": "mx:example.net", "account": "probe" },)")}},
       {"{dir}/s.json: line 12, column 69 (scenarios[0].steps[0].account): smtp.send to "
        "\"mx:example.net\" delivers as an MTA does, without AUTH; remove \"account\" (give "
        "\"from\" and \"to\"), or name a submission server instead"}},
  };
  return rows;
}

}  // namespace

TEST_CASE("the invalid-file table of dns, ip, dns.mx and mx: routes", "[scenario][dns]") {
  check_rows(table());
}
