#include "codec/transcript.hpp"

namespace mc {

void Transcript::add(TranscriptLine::Dir d, std::string text) {
  constexpr std::size_t kMaxTextBytes = 1024;
  if (text.size() > kMaxTextBytes) {
    text.resize(kMaxTextBytes);
    text += "…";
  }
  // Keep the beginning and the most recent lines: the end is where failures show.
  if (lines_.size() >= max_lines_) {
    lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(max_lines_ / 2));
    ++dropped_;
  }
  lines_.push_back({d, std::move(text)});
  ++total_;
}

}  // namespace mc
