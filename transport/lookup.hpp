// A name lookup on a thread of its own, for the driver. Internal to transport/.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mc {

// A name lookup on a thread of its own. getaddrinfo cannot be interrupted, so the thread is
// detached: when the deadline passes, the session goes on without it, and a lookup that hangs
// holds neither this session nor any other (Asio's resolver runs them all on one thread, one
// after another). The thread reports through a socketpair, the only thing it shares with the
// event loop besides this state.
struct Lookup {
  std::mutex m;
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
  int error = 0;  // EAI_* code

  static void start(std::shared_ptr<Lookup> self, std::string host, std::uint16_t port,
                    int wake_fd);
};

}  // namespace mc
