// What the fuzz targets share: reporting a broken property, and playing a fuzzer-chosen server
// against a protocol Machine in fuzzer-chosen chunks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/machine.hpp"

namespace mc::fuzz {

// Printable, so that a finding can be read and turned into a unit test.
inline std::string escaped(std::string_view s, std::size_t max = 400) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

// A broken property: libFuzzer saves the input as a crash-* artifact.
[[noreturn]] inline void finding(std::string_view property, std::string_view detail = {}) {
  std::fprintf(stderr, "\n==FINDING== %.*s\n  %s\n", static_cast<int>(property.size()),
               property.data(), escaped(detail, 2000).c_str());
  std::abort();
}

inline void check(bool ok, std::string_view property, std::string_view detail = {}) {
  if (!ok) finding(property, detail);
}

inline char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  for (std::size_t at = 0; at + needle.size() <= hay.size(); ++at) {
    std::size_t i = 0;
    while (i < needle.size() && lower(hay[at + i]) == lower(needle[i])) ++i;
    if (i == needle.size()) return true;
  }
  return false;
}

inline bool istarts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != lower(prefix[i])) return false;
  return true;
}

// The input of a client target: `flag_bytes` bytes of configuration, one byte K, the server's
// bytes, then K chunk sizes. The server's bytes are delivered one chunk per read, the sizes used
// in turn: a size of 0 (and every chunk when K is 0) is "up to and including the next LF", as a
// server that answers line by line sends them; other sizes cut anywhere. Seed files are then a
// few header bytes followed by a readable dialogue.
class ServerScript {
 public:
  ServerScript(const std::uint8_t* data, std::size_t size, std::size_t flag_bytes) {
    std::size_t i = 0;
    for (; i < flag_bytes; ++i) flags_.push_back(i < size ? data[i] : 0);
    std::size_t k = i < size ? data[i++] : 0;
    const std::size_t rest = size > i ? size - i : 0;
    if (k > rest) k = rest;
    stream_.assign(reinterpret_cast<const char*>(data) + i, rest - k);
    sizes_.assign(data + i + (rest - k), data + i + rest);
  }

  std::uint8_t flag(std::size_t i) const { return flags_[i]; }
  const std::string& stream() const { return stream_; }
  std::size_t delivered() const { return pos_; }
  bool exhausted() const { return pos_ == stream_.size(); }

  // The next chunk; empty once everything was delivered (the server closes the connection).
  std::string_view next_chunk() {
    if (exhausted()) return {};
    const std::size_t want = sizes_.empty() ? 0 : sizes_[next_size_++ % sizes_.size()];
    std::size_t n = want;
    if (want == 0) {
      const std::size_t lf = stream_.find('\n', pos_);
      n = lf == std::string::npos ? stream_.size() - pos_ : lf + 1 - pos_;
    }
    if (n > stream_.size() - pos_) n = stream_.size() - pos_;
    const std::string_view chunk = std::string_view(stream_).substr(pos_, n);
    pos_ += n;
    return chunk;
  }

 private:
  std::vector<std::uint8_t> flags_;
  std::string stream_;
  std::vector<std::uint8_t> sizes_;
  std::size_t next_size_ = 0;
  std::size_t pos_ = 0;
};

// Callbacks of play(): each sees the Action before the machine is told it happened.
struct Observer {
  std::function<void(const proto::Action&)> on_write;  // a write the driver is about to make
  std::function<void(std::string_view)> on_chunk;      // bytes about to go to on_input()
};

// Runs `m` as the driver would, with `script` as the server and TLS that always comes up.
// Returns the final (done) Action. Every action must be explained by the input: a machine that
// keeps asking for things without reading more than the input holds is a livelock.
inline proto::Action play(proto::Machine& m, ServerScript& script, const Observer& obs) {
  const std::size_t bound = 4 * script.stream().size() + 64;
  std::size_t steps = 0;
  bool closed = false;
  proto::Action a = m.start();
  while (a.kind != proto::Action::Kind::done) {
    if (++steps > bound) {
      finding("livelock: more actions than the server's bytes can explain",
              "phase " + a.phase + ", after " + std::to_string(script.delivered()) + " bytes");
    }
    switch (a.kind) {
      case proto::Action::Kind::write:
        if (obs.on_write) obs.on_write(a);
        a = m.on_written();
        break;
      case proto::Action::Kind::read: {
        check(!closed, "read asked for after the peer closed the connection", a.phase);
        const std::string_view chunk = script.next_chunk();
        if (chunk.empty()) closed = true;
        if (obs.on_chunk) obs.on_chunk(chunk);
        a = m.on_input(chunk);
        break;
      }
      case proto::Action::Kind::start_tls:
        a = m.on_tls();
        break;
      case proto::Action::Kind::wait:
        a = m.on_waited();
        break;
      case proto::Action::Kind::done:
        break;
    }
  }
  return a;
}

}  // namespace mc::fuzz
