// A greylisting policy server for Postfix's check_policy_service (the SMTPD policy delegation
// protocol: name=value lines, an empty line ends a request; the answer is "action=..." and an
// empty line). The first request of a (client address, sender, recipient) triplet is deferred
// with "DEFER_IF_PERMIT Greylisted, try again in N seconds"; a later one within an hour gets
// DUNNO (Postfix goes on with its other restrictions). One line per decision goes to stdout.
//
//   greylist_policy PORT [DELAY_SECONDS]     listens on 127.0.0.1:PORT only
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace {

std::mutex mu;
std::map<std::string, std::chrono::steady_clock::time_point> seen;  // triplet -> first request
int delay_s = 2;

std::string decide(const std::map<std::string, std::string>& attrs) {
  auto get = [&](const char* k) {
    auto it = attrs.find(k);
    return it == attrs.end() ? std::string() : it->second;
  };
  if (get("protocol_state") != "RCPT") return "DUNNO";
  const std::string triplet = get("client_address") + "/" + get("sender") + "/" + get("recipient");
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu);
  auto it = seen.find(triplet);
  std::string action;
  if (it == seen.end() || now - it->second > std::chrono::hours(1)) {
    seen[triplet] = now;
    action = "DEFER_IF_PERMIT Greylisted, try again in " + std::to_string(delay_s) + " seconds";
  } else if (now - it->second < std::chrono::seconds(delay_s)) {
    action = "DEFER_IF_PERMIT Greylisted, try again in " + std::to_string(delay_s) + " seconds";
  } else {
    action = "DUNNO";
  }
  std::printf("%s %s\n", triplet.c_str(), action.c_str());
  std::fflush(stdout);
  return action;
}

void serve(int fd) {
  std::string buf;
  std::map<std::string, std::string> attrs;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    buf.append(chunk, static_cast<std::size_t>(n));
    if (buf.size() > 65536) break;  // no request is this long
    for (std::size_t nl; (nl = buf.find('\n')) != std::string::npos;) {
      const std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (!line.empty()) {
        const auto eq = line.find('=');
        if (eq != std::string::npos) attrs[line.substr(0, eq)] = line.substr(eq + 1);
        continue;
      }
      const std::string reply = "action=" + decide(attrs) + "\n\n";
      attrs.clear();
      if (::write(fd, reply.data(), reply.size()) != static_cast<ssize_t>(reply.size())) {
        ::close(fd);
        return;
      }
    }
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: greylist_policy PORT [DELAY_SECONDS]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  if (argc > 2) delay_s = std::atoi(argv[2]);
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (port <= 0 || port > 65535 ||
      ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(s, 16) != 0) {
    std::perror("greylist_policy: listen");
    return 1;
  }
  for (;;) {
    const int c = ::accept(s, nullptr, nullptr);
    if (c < 0) continue;
    std::thread(serve, c).detach();
  }
}
