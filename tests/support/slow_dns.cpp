// Test support, loaded with LD_PRELOAD: getaddrinfo for names under .slow.test hangs for 20 s
// and then fails, as a resolver with an unreachable name server does; every other name goes to
// the C library. Nothing leaves the machine.
#include <dlfcn.h>
#include <netdb.h>
#include <unistd.h>

#include <cstring>

extern "C" int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints,
                           struct addrinfo** res) {
  const char* suffix = ".slow.test";
  if (node != nullptr && std::strlen(node) > std::strlen(suffix) &&
      std::strcmp(node + std::strlen(node) - std::strlen(suffix), suffix) == 0) {
    sleep(20);
    return EAI_AGAIN;
  }
  using Real = int (*)(const char*, const char*, const struct addrinfo*, struct addrinfo**);
  static Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "getaddrinfo"));
  return real(node, service, hints, res);
}
