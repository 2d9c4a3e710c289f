// What the protocol machines share about credentials: keeping every spelling of a secret out
// of what they record, and refusing to send one over a connection that is not encrypted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mc::proto {

inline constexpr std::string_view kRedacted = "<redacted>";

// Replaces every form of a secret (as sent, quoted, base64...) by <redacted>, whatever its case:
// a server may upper-case what it echoes (an IMAP status word always is), and a secret must not
// leak through its capitals.
class Redactor {
 public:
  Redactor() = default;
  explicit Redactor(std::vector<std::string> forms);
  std::string operator()(std::string text) const;

 private:
  std::vector<std::string> forms_;  // longest first, so no shorter form splits a longer one
};

// Why a step stops before AUTH or LOGIN on a connection without TLS, and how to allow it.
// `command` names what was not sent ("AUTH", "LOGIN").
std::string plaintext_refusal(bool starttls_off, std::string_view command);

}  // namespace mc::proto
