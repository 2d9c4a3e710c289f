// Integration: what must never happen to the probes earlier runs left, against scripted fake
// servers on 127.0.0.1 — a sweep that doubles a run or a login or outlasts the scenario, a probe
// left flagged without anyone being told, or one deleted that was meant to stay.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/safety_support.hpp"

using namespace safety_support;

TEST_CASE(
    "the sweep of earlier probes stays inside the scenario's time, and never logs in again "
    "after a failed login",
    "[safety]") {
  const std::string dir = mc::test::make_temp_dir("mc-safety");
  FakeServer mx([](Conn& c, int) { mc::test::smtp_transaction(c); }, 2);
  // Run 1: the mailbox opens but the probe never arrives: it is left pending.
  // Run 2: the login is refused; the sweep must not try the same server again.
  std::atomic<int> sessions{0};
  std::atomic<int> logins{0};
  FakeServer store(
      [&](Conn& c, int index) {
        ++sessions;
        c.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n");
        while (auto l = c.line()) {
          const std::string tag = l->substr(0, l->find(' '));
          const std::string cmd = l->substr(l->find(' ') + 1);
          if (cmd.rfind("LOGIN", 0) == 0) {
            ++logins;
            c.send(index == 0 ? tag + " OK in\r\n"
                              : tag + " NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
          } else if (cmd.rfind("SELECT", 0) == 0) {
            c.send("* 0 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n" + tag + " OK done\r\n");
          } else if (cmd.rfind("UID SEARCH", 0) == 0) {
            c.send("* SEARCH\r\n" + tag + " OK done\r\n");
          } else if (cmd.rfind("LOGOUT", 0) == 0) {
            c.send("* BYE\r\n" + tag + " OK bye\r\n");
            return;
          } else {
            c.send(tag + " OK done\r\n");
          }
        }
      },
      3);
  const json servers = {
      {"mx", {{"url", "smtp://127.0.0.1:" + std::to_string(mx.port())}, {"starttls", "off"}}},
      {"store",
       {{"url", "imap://127.0.0.1:" + std::to_string(store.port())},
        {"starttls", "off"},
        {"allow_plaintext_auth", true}}}};
  const json steps = json::array({{{"step", "smtp.send"},
                                   {"server", "mx"},
                                   {"from", "probe@example.test"},
                                   {"to", {"probe@example.test"}}},
                                  {{"step", "imap.wait"},
                                   {"server", "store"},
                                   {"account", "probe"},
                                   {"timeout", "1s"},
                                   {"poll_interval", "100ms"}},
                                  {{"step", "imap.delete"}}});
  const Ran first = run(dir, file_with(servers, steps, "3s"));
  INFO(first.ran.out << first.ran.err);
  REQUIRE(first.scenario()["failure"]["reason"] == "not_delivered");
  REQUIRE(sessions == 1);

  const auto t0 = std::chrono::steady_clock::now();
  const Ran second = run(dir, file_with(servers, steps, "3s"));
  const double took = seconds_since(t0);
  INFO(second.ran.out << second.ran.err);
  CHECK(second.scenario()["failure"]["reason"] == "auth_failed");
  CHECK(second.scenario()["pending"] == 1);
  CHECK(took < 3.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(sessions == 2);  // no sweep session after the scenario's own failed login
  CHECK(logins == 2);
  fs::remove_all(dir);
}

TEST_CASE("the sweep of earlier probes ends with the scenario's timeout, not after it",
          "[safety]") {
  const std::string dir = mc::test::make_temp_dir("mc-safety");
  FakeServer mx([](Conn& c, int) { mc::test::smtp_transaction(c); }, 2);
  // Runs 1 and 2: the probe never arrives. Run 2's sweep for run 1's probe: a server that
  // greets and then says nothing more.
  FakeServer store(
      [&](Conn& c, int index) {
        c.send("* OK [CAPABILITY IMAP4rev1] fake\r\n");
        if (index == 2) return c.hang(10);
        while (auto l = c.line()) {
          const std::string tag = l->substr(0, l->find(' '));
          const std::string cmd = l->substr(l->find(' ') + 1);
          if (cmd.rfind("SELECT", 0) == 0)
            c.send("* 0 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n" + tag + " OK done\r\n");
          else if (cmd.rfind("UID SEARCH", 0) == 0)
            c.send("* SEARCH\r\n" + tag + " OK done\r\n");
          else
            c.send(tag + " OK done\r\n");
        }
      },
      3);
  const json servers = {
      {"mx", {{"url", "smtp://127.0.0.1:" + std::to_string(mx.port())}, {"starttls", "off"}}},
      {"store",
       {{"url", "imap://127.0.0.1:" + std::to_string(store.port())},
        {"starttls", "off"},
        {"allow_plaintext_auth", true}}}};
  const json steps = json::array({{{"step", "smtp.send"},
                                   {"server", "mx"},
                                   {"from", "probe@example.test"},
                                   {"to", {"probe@example.test"}}},
                                  {{"step", "imap.wait"},
                                   {"server", "store"},
                                   {"account", "probe"},
                                   {"timeout", "1500ms"},
                                   {"poll_interval", "100ms"}},
                                  {{"step", "imap.delete"}}});
  const Ran first = run(dir, file_with(servers, steps, "2s"));
  REQUIRE(first.scenario()["failure"]["reason"] == "not_delivered");
  const auto t0 = std::chrono::steady_clock::now();
  const Ran second = run(dir, file_with(servers, steps, "2s"));
  const double took = seconds_since(t0);
  INFO(second.ran.out << second.ran.err);
  CHECK(second.scenario()["failure"]["reason"] == "not_delivered");
  CHECK(second.scenario()["pending"] == 1);
  // The scenario's 2 s bound the sweep too; with a budget of its own it would end at 3 s.
  CHECK(took < 2.6);
  fs::remove_all(dir);
}

namespace {

// A mailbox without UIDPLUS for two runs. Run 1's probe is UID 7, and the user's UID 3 is
// flagged \Deleted; by run 2 the user has unflagged it, run 1's probe (still flagged) is the
// only other \Deleted message, and run 2's probe is UID 8.
struct NoUidplusMailbox {
  std::string first_token;  // learnt from run 1's search
  std::string token;        // the token the current session searches for
  int run = 0;              // 0 or 1, set by the test
  std::vector<std::string> commands;

  std::string header_of(unsigned uid) const {
    if (uid == 3) return "Subject: the user's own\r\n\r\n";
    return "X-Mailcanary-Token: " + (uid == 7 ? first_token : token) + "\r\n\r\n";
  }

  void serve(Conn& c) {
    c.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n");
    while (auto l = c.line()) {
      const std::string tag = l->substr(0, l->find(' '));
      const std::string cmd = l->substr(l->find(' ') + 1);
      commands.push_back(cmd);
      auto starts = [&](const char* p) { return cmd.rfind(p, 0) == 0; };
      const unsigned probe_uid = run == 0 ? 7 : 8;
      if (starts("SELECT")) {
        c.send("* 8 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n" + tag + " OK done\r\n");
      } else if ((starts("UID SEARCH") &&
                  cmd.find("HEADER X-Mailcanary-Token") != std::string::npos)) {
        token = cmd.substr(cmd.rfind(' ') + 1);
        if (token.size() > 1 && token.front() == '"') token = token.substr(1, token.size() - 2);
        if (run == 0) first_token = token;
        const bool earlier = run == 1 && token == first_token;
        c.send("* SEARCH " + std::to_string(earlier ? 7 : probe_uid) + "\r\n" + tag +
               " OK done\r\n");
      } else if (starts("UID SEARCH DELETED")) {
        c.send(std::string("* SEARCH ") + (run == 0 ? "3 7" : "7 8") + "\r\n" + tag +
               " OK done\r\n");
      } else if (starts("UID FETCH")) {
        std::string set = cmd.substr(10, cmd.find(' ', 10) - 10);
        std::string out;
        for (std::size_t at = 0; at <= set.size();) {
          const std::size_t comma = std::min(set.find(',', at), set.size());
          const unsigned uid = static_cast<unsigned>(std::stoul(set.substr(at, comma - at)));
          const std::string h = header_of(uid);
          out += "* 1 FETCH (UID " + std::to_string(uid) + " BODY[HEADER] {" +
                 std::to_string(h.size()) + "}\r\n" + h + ")\r\n";
          at = comma + 1;
        }
        c.send(out + tag + " OK done\r\n");
      } else if (starts("LOGOUT")) {
        c.send("* BYE\r\n" + tag + " OK bye\r\n");
        return;
      } else {
        c.send(tag + " OK done\r\n");
      }
    }
  }
};

}  // namespace

TEST_CASE("without UIDPLUS, a probe left flagged stays pending and goes with a later EXPUNGE",
          "[safety]") {
  const std::string dir = mc::test::make_temp_dir("mc-safety");
  FakeServer mx([](Conn& c, int) { mc::test::smtp_transaction(c); }, 2);
  NoUidplusMailbox mailbox;
  FakeServer store([&](Conn& c, int) { mailbox.serve(c); }, 4);
  const json servers = {
      {"mx", {{"url", "smtp://127.0.0.1:" + std::to_string(mx.port())}, {"starttls", "off"}}},
      {"store",
       {{"url", "imap://127.0.0.1:" + std::to_string(store.port())},
        {"starttls", "off"},
        {"allow_plaintext_auth", true}}}};
  const json steps = json::array(
      {{{"step", "smtp.send"},
        {"server", "mx"},
        {"from", "probe@example.test"},
        {"to", {"probe@example.test"}}},
       {{"step", "imap.wait"}, {"server", "store"}, {"account", "probe"}, {"timeout", "3s"}},
       {{"step", "imap.delete"}}});
  const Ran first = run(dir, file_with(servers, steps));
  INFO(first.ran.out << first.ran.err);
  CHECK(first.ran.exit_code == 1);  // WARNING: the probe is still in the mailbox
  CHECK(first.scenario()["steps"][2]["expunge_skipped"] == true);
  const std::string token = first.scenario()["token"];
  REQUIRE(token == mailbox.first_token);
  REQUIRE(fs::exists(dir + "/state/pending/" + token + ".json"));
  CHECK(json::parse(mc::test::read_file(dir + "/state/pending/" + token + ".json"))["seen"] ==
        true);
  for (const auto& cmd : mailbox.commands) CHECK(cmd.find("EXPUNGE") == std::string::npos);

  mailbox.run = 1;
  mailbox.commands.clear();
  const Ran second = run(dir, file_with(servers, steps));
  INFO(second.ran.out << second.ran.err);
  CHECK(second.ran.exit_code == 0);
  CHECK(second.scenario()["status"] == "ok");
  // Run 1's probe was recognised by its token, read in this session, so EXPUNGE was safe.
  CHECK(std::count(mailbox.commands.begin(), mailbox.commands.end(), "EXPUNGE") == 1);
  CHECK(std::find(mailbox.commands.begin(), mailbox.commands.end(),
                  "UID FETCH 7 (UID BODY.PEEK[HEADER.FIELDS (X-Mailcanary-Token)])") !=
        mailbox.commands.end());
  CHECK_FALSE(fs::exists(dir + "/state/pending/" + token + ".json"));
  CHECK(second.scenario()["pending"] == 0);
  fs::remove_all(dir);
}

namespace {

// A mailbox with UIDPLUS where each run's probe is found at once: UID 10 + run for run's probe.
struct FoundAtOnce {
  std::vector<std::string> tokens;  // in the order the runs searched for them
  std::vector<std::string> commands;
  void serve(Conn& c) {
    c.send("* OK [CAPABILITY IMAP4rev1 UIDPLUS AUTH=PLAIN] fake\r\n");
    std::string token;
    while (auto l = c.line()) {
      const std::string tag = l->substr(0, l->find(' '));
      const std::string cmd = l->substr(l->find(' ') + 1);
      commands.push_back(cmd);
      if (cmd.rfind("SELECT", 0) == 0) {
        c.send("* 9 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n" + tag + " OK done\r\n");
      } else if (cmd.rfind("UID SEARCH", 0) == 0 &&
                 cmd.find("HEADER X-Mailcanary-Token") != std::string::npos) {
        token = cmd.substr(cmd.rfind(' ') + 1);
        if (token.size() > 1 && token.front() == '"') token = token.substr(1, token.size() - 2);
        auto at = std::find(tokens.begin(), tokens.end(), token);
        if (at == tokens.end()) at = tokens.insert(tokens.end(), token);
        c.send("* SEARCH " + std::to_string(10 + (at - tokens.begin())) + "\r\n" + tag +
               " OK done\r\n");
      } else if (cmd.rfind("UID FETCH", 0) == 0) {
        const std::string uid = cmd.substr(10, cmd.find(' ', 10) - 10);
        const std::string h = "X-Mailcanary-Token: " + token + "\r\n\r\n";
        c.send("* 1 FETCH (UID " + uid + " BODY[HEADER] {" + std::to_string(h.size()) + "}\r\n" +
               h + ")\r\n" + tag + " OK done\r\n");
      } else if (cmd.rfind("LOGOUT", 0) == 0) {
        c.send("* BYE\r\n" + tag + " OK bye\r\n");
        return;
      } else {
        c.send(tag + " OK done\r\n");
      }
    }
  }
};

}  // namespace

TEST_CASE(
    "imap.wait without imap.delete: warned about, and the next run deletes the probe; "
    "with keep, never",
    "[safety]") {
  for (const bool keep : {false, true}) {
    INFO("keep " << keep);
    const std::string dir = mc::test::make_temp_dir("mc-safety");
    FakeServer mx([](Conn& c, int) { mc::test::smtp_transaction(c); }, 2);
    FoundAtOnce mailbox;
    FakeServer store([&](Conn& c, int) { mailbox.serve(c); }, keep ? 2 : 3);
    const json servers = {
        {"mx", {{"url", "smtp://127.0.0.1:" + std::to_string(mx.port())}, {"starttls", "off"}}},
        {"store",
         {{"url", "imap://127.0.0.1:" + std::to_string(store.port())},
          {"starttls", "off"},
          {"allow_plaintext_auth", true}}}};
    json wait = {{"step", "imap.wait"}, {"server", "store"}, {"account", "probe"}};
    if (keep) wait["keep"] = true;
    const json steps = json::array({{{"step", "smtp.send"},
                                     {"server", "mx"},
                                     {"from", "probe@example.test"},
                                     {"to", {"probe@example.test"}}},
                                    wait});
    const Ran first = run(dir, file_with(servers, steps));
    INFO(first.ran.out << first.ran.err);
    CHECK(first.ran.exit_code == 0);
    const std::string token = first.scenario()["token"];
    bool warned = false;
    for (const auto& w : first.result["warnings"])
      warned = warned ||
               w.get<std::string>().find("imap.wait without an imap.delete") != std::string::npos;
    CHECK(warned == !keep);
    CHECK(fs::exists(dir + "/state/pending/" + token + ".json") == !keep);

    const Ran second = run(dir, file_with(servers, steps));
    INFO(second.ran.out << second.ran.err);
    CHECK(second.ran.exit_code == 0);
    const bool deleted_first = std::find(mailbox.commands.begin(), mailbox.commands.end(),
                                         "UID EXPUNGE 10") != mailbox.commands.end();
    CHECK(deleted_first == !keep);
    CHECK_FALSE(fs::exists(dir + "/state/pending/" + token + ".json"));
    for (const auto& cmd : mailbox.commands)
      CHECK(cmd.find("UID EXPUNGE 11") == std::string::npos);  // the second run's own probe
    fs::remove_all(dir);
  }
}
