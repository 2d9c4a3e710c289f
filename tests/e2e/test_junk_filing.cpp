// End-to-end: the platform's Sieve (tests/e2e/sieve.sh) files a probe that carries the Junk
// mark into the probe's Junk folder, and one without it into INBOX, as a spam filter would.
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/e2e/platform.hpp"

namespace fs = std::filesystem;
using mc::e2e::maildir;
using mc::e2e::maildir_folder;
using mc::e2e::var;

namespace {

struct Sent {
  std::string token;
  std::string queue_id;
};

Sent send(const std::vector<std::string>& headers) {
  const auto r = mc::e2e::run(mc::e2e::send_only("probe@example.test", headers));
  INFO(r.ran.out << r.ran.err);
  REQUIRE(r.ran.exit_code == 0);
  const auto& sc = r.result["scenarios"][0];
  Sent s{sc["token"].get<std::string>(), sc["steps"][0]["queue_id"].get<std::string>()};
  REQUIRE(s.token.size() == 32);
  REQUIRE_FALSE(s.queue_id.empty());
  return s;
}

// Where the probe went: its file in `in`, waited for, and no copy in `not_in` or a second one
// in `in` once Postfix is done with it. Every copy is removed, found where it was expected or
// not, so the mailboxes stay as clean as they were for the tests after this one.
void lands_in(const Sent& s, const fs::path& in, const fs::path& not_in) {
  const fs::path file = mc::e2e::wait_for_message(in, {s.token}, std::chrono::seconds(30));
  const bool delivered = mc::e2e::wait_delivered(s.queue_id, std::chrono::seconds(10));
  if (!file.empty()) fs::remove(file);
  auto remove_copy = [&](const fs::path& folder) {
    const fs::path copy = mc::e2e::wait_for_message(folder, {s.token}, {});
    if (!copy.empty()) fs::remove(copy);
    return copy.empty();
  };
  const bool none_elsewhere = remove_copy(not_in);
  const bool single = remove_copy(in);
  REQUIRE_FALSE(file.empty());
  CHECK(delivered);
  CHECK(none_elsewhere);
  CHECK(single);
}

}  // namespace

TEST_CASE("Sieve files a probe with the Junk mark into Junk, and one without it into INBOX",
          "[e2e][sieve]") {
  const fs::path inbox = maildir("probe");
  const fs::path junk = maildir_folder("probe", "Junk");
  const std::string name = var("MC_JUNK_HEADER_NAME");
  const std::string value = var("MC_JUNK_HEADER_VALUE");

  SECTION("marked") {
    lands_in(send({name + ": " + value}), junk, inbox);
  }
  SECTION("marked, the value in other case") {
    std::string upper = value;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    lands_in(send({name + ": " + upper}), junk, inbox);
  }
  SECTION("unmarked") {
    lands_in(send({}), inbox, junk);
  }
  SECTION("another value of the field") {
    lands_in(send({name + ": not " + value}), inbox, junk);
  }
}
