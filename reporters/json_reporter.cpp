#include "reporters/json_reporter.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

namespace mc {
namespace {
// Servers answer in any bytes (Latin-1 replies are common): invalid UTF-8 becomes U+FFFD
// instead of losing the whole document.
constexpr auto kReplaceInvalidUtf8 = nlohmann::json::error_handler_t::replace;
}  // namespace

std::optional<std::string> write_file_atomically(const std::string& path,
                                                 const std::string& content) {
  // An unpredictable name, created exclusively: in a directory others can write to, nobody can
  // plant a symlink for us to write through. node_exporter ignores it (not *.prom).
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return "cannot create a temporary file beside " + path + ": " + std::strerror(errno);
  ::fchmod(fd, 0644);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return "cannot write " + tmp + ": " + err;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return "cannot write " + tmp + ": " + err;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return "cannot rename " + tmp + " to " + path + ": " + err;
  }
  return std::nullopt;
}

std::optional<std::string> write_json_result(const std::string& path, const RunResult& run) {
  const std::string doc = to_json(run).dump(2, ' ', false, kReplaceInvalidUtf8) + "\n";
  if (path == "-") {
    std::cout << doc << std::flush;
    return std::nullopt;
  }
  return write_file_atomically(path, doc);
}

std::optional<std::string> append_json_line(const std::string& path, const RunResult& run) {
  const std::string line = to_json(run).dump(-1, ' ', false, kReplaceInvalidUtf8) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
  // One write() of the whole line: O_APPEND keeps concurrent writers' lines apart.
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int write_errno = errno;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size()))
    return "cannot append to " + path + ": " + std::strerror(n < 0 ? write_errno : ENOSPC);
  if (!synced) return "cannot sync " + path + ": " + std::strerror(errno);
  return std::nullopt;
}

}  // namespace mc
