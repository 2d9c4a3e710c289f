// End-to-end: Authentication-Results as a real OpenDKIM writes them (tests/e2e/milters.sh). The
// probe goes from dkim.example.test through submission, where it is signed, to the MX listener,
// where the signature is verified, and is delivered with a real "dkim=pass".
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/platform.hpp"

using mc::e2e::run;
using mc::e2e::url;
using mc::e2e::var;
using nlohmann::json;

namespace {

json file_with(const json& expect) {
  const json wait = {{"step", "imap.wait"},      {"server", "store"},
                     {"account", "probe"},       {"timeout", "30s"},
                     {"poll_interval", "100ms"}, {"authserv_id", "mail.example.test"},
                     {"expect", expect}};
  const json send = {{"step", "smtp.send"},
                     {"server", "out"},
                     {"account", "probe"},
                     {"from", "probe@" + var("MC_DKIM_DOMAIN")},
                     {"to", "probe@example.test"}};
  return mc::e2e::scenario_file(json::array({send, wait, {{"step", "imap.delete"}}}), "dkim");
}

}  // namespace

TEST_CASE("OpenDKIM signs the probe on submission, verifies it on the MX: dkim pass, as expected",
          "[e2e][auth]") {
  const auto r = run(file_with({{"dkim", "pass"}}));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 0);
  REQUIRE(r.result.is_object());
  const auto& sc = r.result["scenarios"][0];
  CHECK(sc["status"] == "ok");
  CHECK(sc["failure"].is_null());
  const auto& auth = sc["steps"][1]["auth_results"];
  CHECK(auth["authserv_id"] == "mail.example.test");
  CHECK(auth["dkim"] == "pass");
  // Nothing on loopback checks SPF or DMARC, and no field of another host was there to ignore.
  CHECK(auth["spf"] == "missing");
  CHECK(auth["dmarc"] == "missing");
  CHECK(auth["ignored"] == 0);
  CHECK(mc::e2e::messages_with("probe", sc["token"].get<std::string>()) == 0);
}

TEST_CASE("expecting spf pass where nothing checks SPF fails as auth_results; the probe is deleted",
          "[e2e][auth]") {
  const auto r = run(file_with({{"dkim", "pass"}, {"spf", "pass"}}));
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 2);
  REQUIRE(r.result.is_object());
  const auto& sc = r.result["scenarios"][0];
  CHECK(sc["status"] == "critical");
  CHECK(sc["failure"]["step"] == "imap.wait");
  CHECK(sc["failure"]["reason"] == "auth_results");
  CHECK(sc["failure"]["message"] ==
        "Authentication-Results of mail.example.test: spf is missing, expected pass (dkim pass "
        "as expected)");
  // The probe was found: its delivery is measured, and imap.delete still removes it.
  CHECK(sc["delivery_s"].is_number());
  CHECK(sc["steps"][1]["uids"].size() == 1);
  CHECK(sc["steps"][2]["status"] == "ok");
  CHECK(mc::e2e::messages_with("probe", sc["token"].get<std::string>()) == 0);
}

TEST_CASE("mail of example.test is not signed: its dkim verdict is missing", "[e2e][auth]") {
  json f = file_with({{"dkim", "missing"}});
  f["scenarios"][0]["steps"][0]["from"] = "probe@example.test";
  const auto r = run(f);
  INFO(r.ran.out << r.ran.err);
  CHECK(r.ran.exit_code == 0);
  REQUIRE(r.result.is_object());
  CHECK(r.result["scenarios"][0]["steps"][1]["auth_results"]["dkim"] == "missing");
}
