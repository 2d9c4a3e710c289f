// docs/STEPS.md lists every step kind the binary knows, and under each every key the kind takes:
// the reference cannot fall behind the registry.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "scenarios/steps/registry.hpp"

TEST_CASE("docs/STEPS.md lists every step kind and every key of each", "[scenario]") {
  std::ifstream in(std::string(MAILCANARY_SOURCE_DIR) + "/docs/STEPS.md");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (const mc::scn::StepKind* kind : mc::scn::step_kinds()) {
    const std::string heading = "### `" + std::string(kind->name()) + "`";
    INFO(heading);
    const auto at = doc.find(heading);
    REQUIRE(at != std::string::npos);
    const auto end = doc.find("### ", at + heading.size());
    const std::string section = doc.substr(at, end == std::string::npos ? end : end - at);
    for (const auto& key : kind->keys()) {
      INFO("key " << key.name);
      CHECK(section.find("| `" + std::string(key.name) + "` |") != std::string::npos);
    }
  }
}
