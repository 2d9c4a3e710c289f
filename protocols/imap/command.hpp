// IMAP commands out: astrings quoted or sent as literals (synchronizing, or LITERAL+/LITERAL-),
// each command split into the pieces that can be written without waiting for a "+", with the
// redacted text the transcript shows for each.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mc::proto::imap {

// A quoted string with \ and " escaped. Strings for which needs_literal() is true cannot be
// quoted; commands send those as literals.
std::string quote_astring(std::string_view s);
bool needs_literal(std::string_view s);  // CR, LF, NUL or 8-bit bytes

namespace detail {
// One piece of a command, written in one go; the next piece waits for a "+" continuation.
// `shown` is what the transcript records: the bytes with every secret replaced by <redacted>.
struct Chunk {
  std::string bytes;
  std::string shown;
};

// Builds one command as the pieces that can be written without waiting for a "+", and the
// redacted text the transcript shows for each.
class CommandBuilder {
 public:
  CommandBuilder(const std::string& tag, const std::vector<std::string>& capabilities);
  CommandBuilder& word(std::string_view w);
  CommandBuilder& secret_word(std::string_view w);
  CommandBuilder& astring(std::string_view s, bool secret);
  CommandBuilder& close();  // ")" right after what came before, without a space
  // A SASL response: its own line, written only after the server's "+". Always secret.
  CommandBuilder& secret_line(std::string_view w);
  std::vector<Chunk> finish();

 private:
  CommandBuilder& literal(std::string_view s, bool secret);
  void space();
  void end_chunk();

  bool literal_plus_;
  bool literal_minus_;
  Chunk cur_;
  std::vector<Chunk> chunks_;
};

}  // namespace detail
}  // namespace mc::proto::imap
