// Integration: two scenarios whose probes land in one mailbox without UIDPLUS, against a fake
// IMAP server that keeps real mailbox state. Each scenario's probe, left flagged while the
// user's own mail was flagged too, must not block the other's EXPUNGE later, and a probe that
// went with the other's EXPUNGE must leave no pending record behind.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/fake_server.hpp"
#include "tests/support/run_binary.hpp"

namespace fs = std::filesystem;
using mc::test::Conn;
using mc::test::FakeServer;
using nlohmann::json;

namespace {

// One INBOX without UIDPLUS. The user's own message is UID 3; a probe is "delivered" the first
// time its token is searched for.
struct Mailbox {
  struct Message {
    std::string token;  // empty: the user's own
    bool deleted = false;
  };
  std::mutex m;
  std::map<std::uint32_t, Message> messages{{3, {"", true}}};
  std::uint32_t next_uid = 10;
  int sessions = 0;

  static std::vector<std::uint32_t> uids_of(const std::string& set) {
    std::vector<std::uint32_t> out;
    std::size_t at = 0;
    while (at < set.size()) {
      const std::size_t comma = std::min(set.find(',', at), set.size());
      const std::string range = set.substr(at, comma - at);
      const std::size_t colon = range.find(':');
      const auto first = static_cast<std::uint32_t>(std::stoul(range.substr(0, colon)));
      const auto last = colon == std::string::npos
                            ? first
                            : static_cast<std::uint32_t>(std::stoul(range.substr(colon + 1)));
      for (std::uint32_t u = first; u <= last; ++u) out.push_back(u);
      at = comma + 1;
    }
    return out;
  }

  std::string reply(const std::string& tag, const std::string& cmd) {
    std::lock_guard lock(m);
    auto starts = [&](const char* p) { return cmd.rfind(p, 0) == 0; };
    if (starts("CAPABILITY")) return "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + " OK\r\n";
    if (starts("SELECT"))
      return "* " + std::to_string(messages.size()) + " EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n" +
             tag + " OK [READ-WRITE] done\r\n";
    if ((starts("UID SEARCH") && cmd.find("HEADER X-Mailcanary-Token") != std::string::npos)) {
      std::string token = cmd.substr(cmd.rfind(' ') + 1);
      if (token.size() > 1 && token.front() == '"') token = token.substr(1, token.size() - 2);
      std::string hits;
      for (const auto& [uid, msg] : messages)
        if (msg.token == token) hits += " " + std::to_string(uid);
      if (hits.empty()) {
        messages[next_uid] = {token, false};
        hits = " " + std::to_string(next_uid++);
      }
      return "* SEARCH" + hits + "\r\n" + tag + " OK done\r\n";
    }
    if (starts("UID SEARCH DELETED")) {
      std::string hits;
      for (const auto& [uid, msg] : messages)
        if (msg.deleted) hits += " " + std::to_string(uid);
      return "* SEARCH" + hits + "\r\n" + tag + " OK done\r\n";
    }
    if (starts("UID FETCH")) {
      std::string out;
      for (std::uint32_t uid : uids_of(cmd.substr(10, cmd.find(' ', 10) - 10))) {
        auto it = messages.find(uid);
        if (it == messages.end()) continue;
        const std::string h = it->second.token.empty()
                                  ? "Subject: my own\r\n\r\n"
                                  : "X-Mailcanary-Token: " + it->second.token + "\r\n\r\n";
        out += "* 1 FETCH (UID " + std::to_string(uid) + " BODY[HEADER] {" +
               std::to_string(h.size()) + "}\r\n" + h + ")\r\n";
      }
      return out + tag + " OK done\r\n";
    }
    if (starts("UID STORE")) {
      for (std::uint32_t uid : uids_of(cmd.substr(10, cmd.find(' ', 10) - 10)))
        if (messages.count(uid)) messages[uid].deleted = true;
      return tag + " OK done\r\n";
    }
    if (starts("EXPUNGE")) {
      std::erase_if(messages, [](const auto& m) { return m.second.deleted; });
      return tag + " OK expunged\r\n";
    }
    if (starts("LOGOUT")) return "* BYE\r\n" + tag + " OK bye\r\n";
    return tag + " OK done\r\n";
  }

  void serve(Conn& c) {
    {
      std::lock_guard lock(m);
      ++sessions;
    }
    c.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n");
    while (auto l = c.line()) {
      const std::string tag = l->substr(0, l->find(' '));
      const std::string cmd = l->substr(l->find(' ') + 1);
      c.send(reply(tag, cmd));
      if (cmd.rfind("LOGOUT", 0) == 0) return;
    }
  }

  bool holds_token(const std::string& token) {
    std::lock_guard lock(m);
    return std::any_of(messages.begin(), messages.end(),
                       [&](const auto& m) { return m.second.token == token; });
  }
};

json scenario(const std::string& name) {
  return {
      {"name", name},
      {"timeout", "20s"},
      {"steps",
       json::array(
           {{{"step", "smtp.send"},
             {"server", "mx"},
             {"from", "probe@example.test"},
             {"to", {"probe@example.test"}}},
            {{"step", "imap.wait"}, {"server", "store"}, {"account", "probe"}, {"timeout", "3s"}},
            {{"step", "imap.delete"}}})}};
}

json run_once(const std::string& dir) {
  fs::remove(dir + "/r.json");
  const auto r = mc::test::run_program(MAILCANARY_BIN,
                                       {"run", dir + "/s.json", "--json", dir + "/r.json",
                                        "--state-dir", dir + "/state", "--max-concurrency", "1"},
                                       {{"MC_SHARED_PW", "pw"}}, 60);
  INFO(r.out << r.err);
  REQUIRE(fs::exists(dir + "/r.json"));
  json doc = json::parse(mc::test::read_file(dir + "/r.json"));
  doc["exit_code"] = r.exit_code;
  return doc;
}

std::size_t pending_files(const std::string& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir + "/state/pending", ec))
    n += e.path().extension() == ".json";
  return n;
}

}  // namespace

TEST_CASE(
    "two scenarios on one mailbox without UIDPLUS: neither blocks the other's EXPUNGE, "
    "and nothing is left pending",
    "[safety]") {
  const std::string dir = mc::test::make_temp_dir("mc-shared");
  FakeServer mx([](Conn& c, int) { mc::test::smtp_transaction(c); }, 4);
  Mailbox mailbox;
  FakeServer store([&](Conn& c, int) { mailbox.serve(c); }, 12);
  const json file = {
      {"version", 1},
      {"servers",
       {{"mx", {{"url", "smtp://127.0.0.1:" + std::to_string(mx.port())}, {"starttls", "off"}}},
        {"store",
         {{"url", "imap://127.0.0.1:" + std::to_string(store.port())},
          {"starttls", "off"},
          {"allow_plaintext_auth", true}}}}},
      {"accounts",
       {{"probe", {{"user", "probe@example.test"}, {"password", {{"env", "MC_SHARED_PW"}}}}}}},
      {"scenarios", json::array({scenario("a"), scenario("b")})}};
  mc::test::write_file(dir + "/s.json", file.dump(2));

  // Run 1: the user's own message is flagged, so both probes stay flagged and pending.
  const json first = run_once(dir);
  CHECK(first["exit_code"] == 1);
  for (const auto& sc : first["scenarios"]) CHECK(sc["steps"][2]["expunge_skipped"] == true);
  CHECK(pending_files(dir) == 2);

  // Run 2: the user has expunged their own. Scenario a's EXPUNGE takes both earlier probes,
  // recognised by their tokens; their records go, and no sweep looks for them again.
  {
    std::lock_guard lock(mailbox.m);
    mailbox.messages.erase(3);
  }
  const int sessions_before = mailbox.sessions;
  const json second = run_once(dir);
  CHECK(second["exit_code"] == 0);
  for (const auto& sc : second["scenarios"]) {
    CHECK(sc["status"] == "ok");
    CHECK(sc["pending"] == 0);
    CHECK(sc["lost"].empty());
  }
  CHECK(pending_files(dir) == 0);
  // One session per scenario, which its wait and delete share; no sweep session.
  CHECK(mailbox.sessions - sessions_before == 2);
  for (const auto& run : {first, second})
    for (const auto& sc : run["scenarios"]) CHECK_FALSE(mailbox.holds_token(sc["token"]));
  fs::remove_all(dir);
}
