#include "protocols/line_buffer.hpp"

namespace mc::proto {

LineBuffer::Status LineBuffer::next_line(std::string& out) {
  const std::string_view pending = std::string_view(buf_).substr(pos_);
  const std::size_t lf = pending.find('\n');
  if (lf == std::string_view::npos) {
    // Without a terminator yet: refuse as soon as the line cannot fit any more.
    if (pending.size() > max_line_ + 1) return Status::too_long;
    return Status::need_more;
  }
  if (lf == 0 || pending[lf - 1] != '\r') return Status::bare_lf;
  if (lf - 1 > max_line_) return Status::too_long;
  out.assign(pending.substr(0, lf - 1));
  pos_ += lf + 1;
  compact();
  return Status::line;
}

bool LineBuffer::take_bytes(std::size_t n, std::string& out) {
  if (buffered() < n) return false;
  out.assign(buf_, pos_, n);
  pos_ += n;
  compact();
  return true;
}

void LineBuffer::compact() {
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 64 * 1024) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

}  // namespace mc::proto
