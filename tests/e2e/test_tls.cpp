// End-to-end: certificate expiry thresholds against the real Postfix listener whose certificate
// expires 3 days after the platform started (MC_SHORTCERT_PORT, tests/e2e/mailservers.sh). What
// the probe reports of it is checked against openssl's reading of the certificate file.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/platform.hpp"
#include "tests/support/run_binary.hpp"

namespace fs = std::filesystem;
using mc::e2e::url;
using mc::e2e::var;
using nlohmann::json;

namespace {

// What `openssl x509 -noout OPTION` prints for the short-lived certificate, after its "=".
std::string openssl_x509(const std::vector<std::string>& options) {
  std::vector<std::string> args = {"x509", "-in", var("MC_SHORTCERT_CERT"), "-noout"};
  args.insert(args.end(), options.begin(), options.end());
  const auto r = mc::test::run_program("/usr/bin/openssl", args);
  REQUIRE(r.exit_code == 0);
  std::string out = r.out.substr(r.out.find('=') + 1);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// Whole days from now to the certificate's notAfter, as openssl gives it.
long long days_left_now() {
  std::tm tm{};
  const std::string end = openssl_x509({"-enddate"});  // "Dec  4 13:00:00 2026 GMT"
  REQUIRE(strptime(end.c_str(), "%b %d %H:%M:%S %Y GMT", &tm) != nullptr);
  const double left = std::difftime(timegm(&tm), std::time(nullptr));
  return static_cast<long long>(std::floor(left / 86400));
}

// Mail to probe@ through the short-lived listener (an MX: no AUTH), then found and deleted.
json shortcert_file(const json& thresholds) {
  json mx_tls = {{"ca_file", var("MC_CA")}, {"server_name", "mail.example.test"}};
  for (const auto& [k, v] : thresholds.items()) mx_tls[k] = v;
  return {
      {"version", 1},
      {"vantage", "e2e"},
      {"defaults", {{"timeout", "30s"}}},
      {"servers",
       {{"mx", {{"url", url("smtp", "MC_SHORTCERT_PORT")}, {"tls", mx_tls}}},
        {"store",
         {{"url", url("imaps", "MC_IMAPS_PORT")},
          {"tls", {{"ca_file", var("MC_CA")}, {"server_name", "mail.example.test"}}}}}}},
      {"accounts",
       {{"probe", {{"user", "probe@example.test"}, {"password", {{"env", "MC_E2E_PASSWORD"}}}}}}},
      {"scenarios",
       json::array({{{"name", "mx-shortcert"},
                     {"timeout", "60s"},
                     {"steps", json::array({{{"step", "smtp.send"},
                                             {"server", "mx"},
                                             {"from", "probe@example.test"},
                                             {"to", json::array({"probe@example.test"})}},
                                            {{"step", "imap.wait"},
                                             {"server", "store"},
                                             {"account", "probe"},
                                             {"timeout", "30s"},
                                             {"poll_interval", "100ms"}},
                                            {{"step", "imap.delete"}}})}}})}};
}

}  // namespace

TEST_CASE(
    "a certificate 3 days from expiry with expiry_crit 7d: critical, delivered, the days "
    "left and the fingerprint reported everywhere",
    "[tls]") {
  const std::string out = mc::test::make_temp_dir("mc-e2e-tls");
  const long long days_before = days_left_now();
  const auto r = mc::e2e::run(shortcert_file({{"expiry_warn", "21d"}, {"expiry_crit", "7d"}}), {},
                              {"--textfile", out + "/mc.prom", "--junit", out + "/junit.xml",
                               "--html", out + "/report.html"});
  const long long days_after = days_left_now();
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  CHECK(r.result["status"] == "critical");
  const json& sc = r.result["scenarios"][0];
  // The round trip itself worked: no failure, the probe found and deleted.
  CHECK(sc["failure"].is_null());
  CHECK(sc["delivery_s"].is_number());
  CHECK(mc::e2e::messages_with("probe", sc["token"].get<std::string>()) == 0);
  const json& send = sc["steps"][0];
  CHECK(send["status"] == "critical");
  CHECK_FALSE(send.contains("threshold"));
  CHECK(sc["steps"][1]["status"] == "ok");
  CHECK(sc["steps"][2]["status"] == "ok");

  const json& tls = send["tls"];
  CHECK(tls["verified"] == true);
  CHECK(tls["expiry_threshold"] == "crit");
  CHECK(tls["expiry_warn_s"] == 21 * 86400);
  CHECK(tls["expiry_crit_s"] == 7 * 86400);
  const long long days = tls["expiry_days_left"];
  CHECK((days == days_before || days == days_after));
  CHECK(days <= 3);
  const std::string fingerprint = openssl_x509({"-fingerprint", "-sha256"});
  CHECK(tls["fingerprint_sha256"] == fingerprint);
  const std::string subject = openssl_x509({"-subject", "-nameopt", "RFC2253"});
  CHECK(tls["expiry_subject"] == subject);
  CHECK(tls["expiry_depth"] == 0);
  // The IMAP server's own certificate is another one, and has no thresholds.
  CHECK(sc["steps"][1]["tls"]["fingerprint_sha256"] != fingerprint);
  CHECK_FALSE(sc["steps"][1]["tls"].contains("expiry_threshold"));

  const std::string note = "certificate " + subject + " of " + url("smtp", "MC_SHORTCERT_PORT") +
                           " expires in " + std::to_string(days) + (days == 1 ? " day" : " days");
  const std::string threshold = "within the crit threshold of 7 days";
  // The table on stdout.
  CHECK(r.ran.out.find("    certificate sha256 " + fingerprint + "\n") != std::string::npos);
  CHECK(r.ran.out.find("    CRITICAL: " + note + " (") != std::string::npos);
  CHECK(r.ran.out.find(threshold) != std::string::npos);
  // JUnit: a failure of its own type, the note in it.
  const std::string junit = mc::test::read_file(out + "/junit.xml");
  CHECK(junit.find("type=\"tls_expiry\"") != std::string::npos);
  CHECK(junit.find("certificate: smtp.send " + note) != std::string::npos);
  CHECK(junit.find(", sha256 " + fingerprint) != std::string::npos);
  // HTML.
  const std::string html = mc::test::read_file(out + "/report.html");
  CHECK(html.find("sha256 " + fingerprint) != std::string::npos);
  CHECK(html.find(threshold) != std::string::npos);
  // Metrics: valid for promtool, the thresholds next to the expiry.
  const auto promtool = mc::test::run_program(
      "/bin/sh", {"-c", "/usr/bin/promtool check metrics < " + out + "/mc.prom"});
  INFO(promtool.out << promtool.err);
  CHECK(promtool.exit_code == 0);
  const std::string prom = mc::test::read_file(out + "/mc.prom");
  CHECK(prom.find("mailcanary_tls_cert_expiry_threshold_seconds{scenario=\"mx-shortcert\","
                  "step=\"smtp.send\",threshold=\"crit\",vantage=\"e2e\"} 604800\n") !=
        std::string::npos);
  CHECK(prom.find("mailcanary_success{scenario=\"mx-shortcert\",vantage=\"e2e\"} 1\n") !=
        std::string::npos);
  fs::remove_all(out);
}

TEST_CASE("the same certificate with expiry_crit 2d: a warning, named on the Nagios line",
          "[tls]") {
  const auto r = mc::e2e::run(shortcert_file({{"expiry_warn", "21d"}, {"expiry_crit", "2d"}}), {},
                              {"--nagios"});
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 1);
  CHECK(r.result["status"] == "warning");
  CHECK(r.result["scenarios"][0]["steps"][0]["tls"]["expiry_threshold"] == "warn");
  CHECK(r.ran.out.rfind("MAILCANARY WARNING - 1 of 1 scenarios ok; mx-shortcert: smtp.send "
                        "certificate " +
                            openssl_x509({"-subject", "-nameopt", "RFC2253"}) + " of " +
                            url("smtp", "MC_SHORTCERT_PORT") + " expires in ",
                        0) == 0);
  CHECK(r.ran.out.find("within the warn threshold of 21 days") != std::string::npos);
}

TEST_CASE(
    "thresholds from defaults.tls on the platform's other listeners: ok while far from "
    "expiry",
    "[tls]") {
  // The platform's certificate is reissued only when less than a day is left, so on an old
  // platform directory it may be near its end: thresholds of hours here. The MX's own tls
  // (CA and name) keeps them.
  json file = shortcert_file({});
  file["defaults"]["tls"] = {{"expiry_warn", "2h"}, {"expiry_crit", "1h"}};
  file["servers"]["mx"]["url"] = url("smtp", "MC_MX_PORT");
  const auto r = mc::e2e::run(file);
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 0);
  for (const auto& st : r.result["scenarios"][0]["steps"]) {
    CHECK(st["status"] == "ok");
    CHECK(st["tls"]["expiry_warn_s"] == 7200);
    CHECK_FALSE(st["tls"].contains("expiry_threshold"));
  }
}
