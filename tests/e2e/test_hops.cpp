// End-to-end: the probe's hops through the real Postfix (submission) and Dovecot (LMTP), read
// from the Received: fields Dovecot hands out over IMAP and checked against the message file
// in the Maildir, and their delays in the Prometheus text output.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "protocols/mime/headers.hpp"
#include "tests/e2e/platform.hpp"
#include "tests/support/run_binary.hpp"

using mc::e2e::run;
using mc::e2e::url;
using mc::e2e::var;
using nlohmann::json;

namespace {

json file_with(const json& wait) {
  const json send = {{"step", "smtp.send"}, {"server", "out"}, {"account", "probe"}};
  return mc::e2e::scenario_file(json::array({send, wait}), "hops");
}

json wait_step() {
  return {{"step", "imap.wait"}, {"server", "store"},        {"account", "probe"},
          {"timeout", "30s"},    {"poll_interval", "100ms"}, {"keep", true}};
}

// The kept probe's file, read and removed: its header as Dovecot stored it.
std::string take_probe(const std::string& token) {
  std::string stored;
  for (const char* sub : {"cur", "new"})
    for (const auto& e : std::filesystem::directory_iterator(mc::e2e::maildir("probe") / sub)) {
      const std::string text = mc::test::read_file(e.path().string());
      if (text.find(token) == std::string::npos) continue;
      stored = text;
      std::filesystem::remove(e.path());
    }
  return stored;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("hops: Postfix's and Dovecot's Received fields, as the Maildir file has them",
          "[e2e][hops]") {
  const std::string dir = mc::test::make_temp_dir("mc-e2e-hops");
  const std::string prom = dir + "/mailcanary.prom";
  const auto r = run(file_with(wait_step()), {}, {"--textfile", prom});
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const json& sc = r.result["scenarios"][0];
  const std::string stored = take_probe(sc["token"]);
  REQUIRE_FALSE(stored.empty());

  // Fields stand newest first; hops are listed oldest first.
  auto fields = mc::proto::mime::header_fields(stored, "Received");
  std::reverse(fields.begin(), fields.end());
  const json& hops = sc["steps"][1]["hops"];
  INFO(hops.dump(2));
  REQUIRE(fields.size() >= 2);  // Postfix's submission, Dovecot's LMTP
  REQUIRE(hops.size() == fields.size());
  CHECK(sc["steps"][1]["hops_unparsed"] == 0);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    INFO("Received: " << fields[i]);
    CHECK(hops[i]["hop"] == std::to_string(i + 1));
    CHECK(has(fields[i], "by " + hops[i]["by"].get<std::string>() + " "));
    CHECK(has(fields[i], "with " + hops[i]["with"].get<std::string>() + " "));
    CHECK(hops[i]["at"].is_string());
    CHECK(hops[i]["delay_s"].is_number());
  }
  // Submission: Postfix says the TLS the probe's own connection had.
  CHECK(hops[0]["with"] == "ESMTPSA");
  CHECK(hops[0]["tls"] == true);
  CHECK(hops[0]["tls_version"] == sc["steps"][0]["tls"]["version"]);
  CHECK(hops[0]["tls_cipher"] == sc["steps"][0]["tls"]["cipher"]);
  CHECK(hops[0]["id"] == sc["steps"][0]["queue_id"]);
  // The last hop is Dovecot's LMTP delivery into the mailbox.
  CHECK(hops.back()["with"] == "LMTP");
  CHECK(hops.back()["by"] == "mail.example.test");
  // Everything on one machine, one clock: a second or two at most, never skewed.
  double total = 0;
  for (const auto& h : hops) {
    CHECK(h["skew"] == false);
    total += h["delay_s"].get<double>();
  }
  CHECK(total <= 2);

  const std::string text = mc::test::read_file(prom);
  CHECK(has(text, "# TYPE mailcanary_hop_delay_seconds gauge\n"));
  for (std::size_t i = 0; i < hops.size(); ++i)
    CHECK(has(text, "mailcanary_hop_delay_seconds{scenario=\"hops\",hop=\"" +
                        std::to_string(i + 1) + "\",vantage=\"e2e\"} "));
  if (std::filesystem::exists("/usr/bin/promtool")) {
    const auto check =
        mc::test::run_program("/bin/sh", {"-c", "/usr/bin/promtool check metrics < " + prom});
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("hops: the file's names label the metric while they fit the path", "[e2e][hops]") {
  const std::string dir = mc::test::make_temp_dir("mc-e2e-hops");
  const std::string prom = dir + "/mailcanary.prom";
  json wait = wait_step();
  wait["hops"] = json::array({"submission", "mailstore"});
  const auto r = run(file_with(wait), {}, {"--textfile", prom});
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const json& sc = r.result["scenarios"][0];
  take_probe(sc["token"]);
  const json& hops = sc["steps"][1]["hops"];
  REQUIRE(hops.size() == 2);
  CHECK(hops[0]["hop"] == "submission");
  CHECK(hops[1]["hop"] == "mailstore");
  CHECK(r.result["warnings"].empty());
  const std::string text = mc::test::read_file(prom);
  CHECK(has(text,
            "mailcanary_hop_delay_seconds{scenario=\"hops\",hop=\"submission\","
            "vantage=\"e2e\"} "));
  CHECK(has(text,
            "mailcanary_hop_delay_seconds{scenario=\"hops\",hop=\"mailstore\","
            "vantage=\"e2e\"} "));
  std::filesystem::remove_all(dir);
}
