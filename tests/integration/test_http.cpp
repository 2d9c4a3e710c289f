// Integration: http.get in the mailcanary binary against scripted HTTP servers on 127.0.0.1 —
// the faults no real web server shows on demand (a first byte that never comes, a reset, an
// error status, a certificate out of date), and a form login whose token and cookies must go
// from one step to the next, checked on the exact bytes sent.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/fake_server.hpp"
#include "tests/support/run_binary.hpp"

namespace fs = std::filesystem;
using mc::test::Conn;
using mc::test::FakeServer;
using nlohmann::json;

namespace {

const std::string kSentinel = "sentinel-web-pw&=+ 9a1";

struct Outcome {
  mc::test::Ran ran;
  json result;
  double seconds = 0;
  const json& scenario() const { return result["scenarios"][0]; }
  const json& failure() const { return scenario()["failure"]; }
  const json& step(std::size_t i) const { return scenario()["steps"][i]; }
};

Outcome run(const json& servers, const json& steps) {
  const std::string dir = mc::test::make_temp_dir("mc-http");
  const json file = {
      {"version", 1},
      {"vantage", "test"},
      {"servers", servers},
      {"accounts",
       {{"probe", {{"user", "probe@example.test"}, {"password", {{"env", "MC_FAKE_PW"}}}}}}},
      {"scenarios", json::array({{{"name", "web"}, {"timeout", "20s"}, {"steps", steps}}})}};
  mc::test::write_file(dir + "/s.json", file.dump(2));
  Outcome o;
  const auto t0 = std::chrono::steady_clock::now();
  o.ran = mc::test::run_program(
      MAILCANARY_BIN,
      {"run", dir + "/s.json", "--json", dir + "/r.json", "--state-dir", dir + "/state"},
      {{"MC_FAKE_PW", kSentinel}}, 60);
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (fs::exists(dir + "/r.json")) o.result = json::parse(mc::test::read_file(dir + "/r.json"));
  fs::remove_all(dir);
  return o;
}

json web(int port, const char* scheme = "http") {
  return {{"web", {{"url", std::string(scheme) + "://127.0.0.1:" + std::to_string(port)}}}};
}

// Reads one request: its lines up to the empty one, and its body by Content-Length.
struct Request {
  std::vector<std::string> lines;
  std::string body;
  bool has(const std::string& line) const {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  }
};

Request read_request(Conn& c) {
  Request r;
  std::size_t length = 0;
  while (auto l = c.line()) {
    if (l->empty()) break;
    if (l->rfind("Content-Length: ", 0) == 0) length = std::stoul(l->substr(16));
    r.lines.push_back(*l);
  }
  if (length > 0) r.body = c.bytes(length).value_or("");
  return r;
}

std::string response(const std::string& status, const std::string& body,
                     const std::string& extra = "") {
  return "HTTP/1.1 " + status +
         "\r\nContent-Type: text/html\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n" + extra + "\r\n" + body;
}

std::vector<std::string> phase_names(const json& step) {
  std::vector<std::string> out;
  for (const auto& p : step["phases"]) out.push_back(p["phase"]);
  return out;
}

}  // namespace

TEST_CASE("http.get: a page, curl's phases, status, size", "[http]") {
  FakeServer server([](Conn& c, int) {
    const auto r = read_request(c);
    CHECK(r.lines.at(0) == "GET /login?x=1 HTTP/1.1");
    c.send(response("200 OK", "<title>Welcome to Webmail</title>"));
  });
  const auto o = run(web(server.port()),
                     json::array({{{"step", "http.get"},
                                   {"server", "web"},
                                   {"path", "/login?x=1"},
                                   {"expect", {{"status", 200}, {"contains", "Welcome"}}}}}));
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 0);
  const auto& st = o.step(0);
  CHECK(st["status"] == "ok");
  CHECK(st["http_status"] == 200);
  CHECK(st["bytes"] == 33);
  CHECK(st["address"] == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(phase_names(st) ==
        std::vector<std::string>{"connect", "request", "first_byte", "transfer"});
  CHECK_FALSE(st.contains("tls"));
  CHECK(o.ran.out.find("HTTP 200") != std::string::npos);
}

TEST_CASE("http.get: a first byte that never comes times out in phase first_byte", "[http]") {
  FakeServer server([](Conn& c, int) {
    read_request(c);
    c.hang(20);
  });
  const auto o =
      run(web(server.port()),
          json::array({{{"step", "http.get"}, {"server", "web"}, {"timeout", "1500ms"}}}));
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 2);
  CHECK(o.failure()["step"] == "http.get");
  CHECK(o.failure()["phase"] == "first_byte");
  CHECK(o.failure()["reason"] == "timeout");
  // The step ends at its deadline: nothing of the request outlives it.
  CHECK(o.seconds < 6);
  CHECK(o.step(0)["duration_s"].get<double>() < 2.5);
}

TEST_CASE("http.get: a body that stops half-way times out in phase transfer", "[http]") {
  FakeServer server([](Conn& c, int) {
    read_request(c);
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a part");
    c.hang(20);
  });
  const auto o =
      run(web(server.port()),
          json::array({{{"step", "http.get"}, {"server", "web"}, {"timeout", "1500ms"}}}));
  INFO(o.ran.out << o.ran.err);
  CHECK(o.failure()["phase"] == "transfer");
  CHECK(o.failure()["reason"] == "timeout");
}

TEST_CASE("http.get: a reset before the response is a disconnect", "[http]") {
  FakeServer server([](Conn& c, int) {
    read_request(c);
    c.reset();
  });
  const auto o = run(web(server.port()), json::array({{{"step", "http.get"}, {"server", "web"}}}));
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 2);
  CHECK(o.failure()["phase"] == "first_byte");
  CHECK(o.failure()["reason"] == "disconnected");
}

TEST_CASE("http.get: a closed port is connect_refused", "[http]") {
  int port = 0;
  {
    FakeServer gone([](Conn&, int) {}, 0);
    port = gone.port();
  }
  const auto o = run(web(port), json::array({{{"step", "http.get"}, {"server", "web"}}}));
  CHECK(o.failure()["phase"] == "connect");
  CHECK(o.failure()["reason"] == "connect_refused");
}

TEST_CASE("http.get: a status other than expected is an expectation failure", "[http]") {
  FakeServer server(
      [](Conn& c, int i) {
        read_request(c);
        if (i == 0)
          c.send(response("404 Not Found", "no such page"));
        else
          c.send(response("200 OK", "<p>Logged out</p>"));
      },
      2);
  const auto o = run(web(server.port()), json::array({{{"step", "http.get"}, {"server", "web"}}}));
  INFO(o.ran.out << o.ran.err);
  CHECK(o.failure()["phase"] == "expect");
  CHECK(o.failure()["reason"] == "expectation");
  CHECK(o.failure()["reply"]["code"] == 404);
  CHECK(o.failure()["reply"]["text"] == "HTTP/1.1 404 Not Found");
  const auto o2 = run(
      web(server.port()),
      json::array(
          {{{"step", "http.get"}, {"server", "web"}, {"expect", {{"regex", "Logged (in|on)"}}}}}));
  CHECK(o2.failure()["reason"] == "expectation");
  CHECK(o2.failure()["message"] == "the response (17 bytes) does not match /Logged (in|on)/");
}

TEST_CASE("http.get: a form login carries the page's token and cookies", "[http]") {
  std::string posted;
  FakeServer server(
      [&](Conn& c, int i) {
        const auto r = read_request(c);
        if (i == 0) {
          CHECK(r.lines.at(0) == "GET / HTTP/1.1");
          c.send(response("200 OK",
                          R"(<form><input type="hidden" name="_token" value="t0k&amp;42">)",
                          "Set-Cookie: sid=abc123; Path=/; HttpOnly\r\n"));
        } else if (i == 1) {
          CHECK(r.lines.at(0) == "POST /?_task=login HTTP/1.1");
          CHECK(r.has("Cookie: sid=abc123"));
          CHECK(r.has("Content-Type: application/x-www-form-urlencoded"));
          posted = r.body;
          c.send(response("302 Found", "",
                          "Location: /?_task=mail\r\nSet-Cookie: auth=yes; Path=/\r\n"));
        } else {
          CHECK(r.lines.at(0) == "GET /?_task=mail HTTP/1.1");
          CHECK((r.has("Cookie: sid=abc123; auth=yes") || r.has("Cookie: auth=yes; sid=abc123")));
          c.send(response("200 OK", "<title>Inbox - Webmail</title>"));
        }
      },
      3);
  json servers = web(server.port());
  servers["web"]["allow_plaintext_auth"] = true;
  const auto o = run(
      servers,
      json::array({{{"step", "http.get"},
                    {"server", "web"},
                    {"capture", {{"token", R"re(name="_token" value="([^"]+)")re"}}}},
                   {{"step", "http.get"},
                    {"server", "web"},
                    {"account", "probe"},
                    {"path", "/?_task=login"},
                    {"form", {{"_token", "{token}"}, {"_user", "{user}"}, {"_pass", "{password}"}}},
                    {"expect", {{"status", 302}}}},
                   {{"step", "http.get"},
                    {"server", "web"},
                    {"path", "/?_task=mail"},
                    {"expect", {{"regex", "<title>Inbox"}}}}}));
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 0);
  CHECK(posted == "_pass=sentinel-web-pw%26%3D%2B+9a1&_token=t0k%2642&_user=probe%40example.test");
  CHECK(o.step(1)["redirect"] ==
        "http://127.0.0.1:" + std::to_string(server.port()) + "/?_task=...");
  CHECK(o.step(1)["plaintext_auth"] == true);
  // Neither the password, the session cookie nor the token reach any output.
  for (const std::string& secret : {kSentinel, std::string("abc123"), std::string("t0k")}) {
    CHECK(o.ran.out.find(secret) == std::string::npos);
    CHECK(o.ran.err.find(secret) == std::string::npos);
    CHECK(o.result.dump().find(secret) == std::string::npos);
  }
}

TEST_CASE("http.get over TLS: the facts, and a certificate out of date", "[http]") {
  const std::string dir = mc::test::make_temp_dir("mc-http-pki");
  mc::test::TestPki pki(dir);
  const auto valid = pki.valid();
  FakeServer server([&](Conn& c, int) {
    c.start_tls(valid);
    read_request(c);
    c.send(response("200 OK", "ok"));
  });
  json servers = web(server.port(), "https");
  servers["web"]["tls"] = {{"ca_file", pki.ca_file()}};
  const auto o = run(servers, json::array({{{"step", "http.get"}, {"server", "web"}}}));
  INFO(o.ran.out << o.ran.err);
  CHECK(o.ran.exit_code == 0);
  CHECK(phase_names(o.step(0)) ==
        std::vector<std::string>{"connect", "tls_handshake", "request", "first_byte", "transfer"});
  CHECK(o.step(0)["tls"]["verified"] == true);
  CHECK_FALSE(o.step(0)["tls"]["version"].get<std::string>().empty());
  CHECK(o.step(0)["tls"]["fingerprint_sha256"].get<std::string>().size() == 95);

  const auto expired = pki.expired();
  FakeServer old([&](Conn& c, int) { c.start_tls(expired); }, 1);
  servers = web(old.port(), "https");
  servers["web"]["tls"] = {{"ca_file", pki.ca_file()}};
  const auto o2 = run(servers, json::array({{{"step", "http.get"}, {"server", "web"}}}));
  INFO(o2.ran.out << o2.ran.err);
  CHECK(o2.failure()["phase"] == "tls_handshake");
  CHECK(o2.failure()["reason"] == "tls_cert_expired");
  fs::remove_all(dir);
}
