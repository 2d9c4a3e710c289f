// The protocol transcript of a step, as kept by the machine that knows which bytes are secret.
// Secrets are replaced before lines are recorded, so nothing downstream can leak them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mc {

struct TranscriptLine {
  enum class Dir { client, server, note };
  Dir dir;
  std::string text;
};

// How a line is marked where people read it: "C: " the client, "S: " the server, "-- " a note.
inline const char* mark(TranscriptLine::Dir d) {
  return d == TranscriptLine::Dir::client   ? "C: "
         : d == TranscriptLine::Dir::server ? "S: "
                                            : "-- ";
}

class Transcript {
 public:
  explicit Transcript(std::size_t max_lines = 400) : max_lines_(max_lines) {}
  void client(std::string text) { add(TranscriptLine::Dir::client, std::move(text)); }
  void server(std::string text) { add(TranscriptLine::Dir::server, std::move(text)); }
  void note(std::string text) { add(TranscriptLine::Dir::note, std::move(text)); }
  const std::vector<TranscriptLine>& lines() const { return lines_; }
  std::size_t dropped() const { return dropped_; }
  // Lines ever added; the newest (total() - seen) lines are the last ones in lines().
  std::size_t total() const { return total_; }

 private:
  void add(TranscriptLine::Dir d, std::string text);
  std::vector<TranscriptLine> lines_;
  std::size_t max_lines_;
  std::size_t dropped_ = 0;
  std::size_t total_ = 0;
};

}  // namespace mc
