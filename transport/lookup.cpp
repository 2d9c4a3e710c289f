#include "transport/lookup.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace mc {

using tcp = boost::asio::ip::tcp;

void Lookup::start(std::shared_ptr<Lookup> self, std::string host, std::uint16_t port,
                   int wake_fd) {
  std::thread([self = std::move(self), host = std::move(host), port, wake_fd] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
    {
      std::lock_guard lock(self->m);
      self->error = rc;
      for (addrinfo* ai = res; rc == 0 && ai != nullptr; ai = ai->ai_next) {
        tcp::endpoint ep;
        if (ai->ai_addrlen > ep.capacity()) continue;
        std::memcpy(ep.data(), ai->ai_addr, ai->ai_addrlen);
        ep.resize(ai->ai_addrlen);
        self->endpoints.push_back(ep);
      }
    }
    if (res) ::freeaddrinfo(res);
    const char done = 1;
    (void)!::send(wake_fd, &done, 1, MSG_NOSIGNAL);  // nobody listens after a deadline
    ::close(wake_fd);
  }).detach();
}

}  // namespace mc
