// The SCRAM server-message parsers and one SCRAM-SHA-256 exchange fed the fuzzer's bytes. The
// input is a server-first message, a NUL, and a server-final message. Properties: an accepted
// server-first has a printable nonce without commas, a salt, and 1..kMaxIterations iterations;
// an error from server-final is printable; the exchange never counts as succeeded unless the
// server-final carried the right signature, which random bytes never do.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/sasl/mechanism.hpp"
#include "protocols/sasl/scram.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
namespace sasl = mc::proto::sasl;
namespace scram = mc::proto::sasl::scram;

bool printable(std::string_view s) {
  for (const char c : s)
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = in.find('\0');
  const std::string_view first = in.substr(0, nul);
  const std::string_view final = nul == std::string_view::npos ? "" : in.substr(nul + 1);

  std::string problem;
  if (const auto f = scram::parse_server_first(first, problem)) {
    check(!f->nonce.empty() && printable(f->nonce), "nonce not printable", first);
    check(!f->salt.empty(), "empty salt accepted", first);
    check(f->iterations >= 1 && f->iterations <= scram::kMaxIterations, "iterations out of range",
          first);
  } else {
    check(!problem.empty(), "refused without a problem", first);
  }
  problem.clear();
  if (const auto f = scram::parse_server_final(final, problem)) {
    check(f->error.empty() != f->signature.empty(), "neither or both of error and signature",
          final);
    check(printable(f->error), "error not printable", final);
  } else {
    check(!problem.empty(), "refused without a problem", final);
  }

  // Iterations cost time, not coverage: keep the exchange's count small.
  sasl::Credentials c{"user", "pencil"};
  c.nonce = "fuzz";
  auto x = sasl::start(sasl::Mechanism::scram_sha_256, c);
  x->initial_response();
  if (const auto f = scram::parse_server_first(first, problem); f && f->iterations <= 64) {
    const sasl::Answer a = x->challenge(first);
    if (!a.abort) x->challenge(final);
  }
  check(x->succeeded().has_value(), "succeeded without the server's signature", in);
  return 0;
}
