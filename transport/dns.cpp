#include "transport/dns.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace mc {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using proto::dns::Answer;
using proto::dns::Status;

Answer failed(Status status, std::string error) {
  Answer a;
  a.status = status;
  a.error = std::move(error);
  return a;
}

// What a c-ares status means when no reply came with it.
Answer from_ares_status(int status) {
  switch (status) {
    case ARES_ETIMEOUT:
      return failed(Status::timeout, "no answer within the query's timeout");
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
      return failed(Status::timeout, "no answer before the deadline");
    case ARES_ESERVFAIL:
      return failed(Status::servfail, "SERVFAIL");
    case ARES_EREFUSED:
      return failed(Status::refused, "REFUSED");
    case ARES_ENOTFOUND:
      return failed(Status::nxdomain, "NXDOMAIN: the name does not exist");
    case ARES_ENODATA:
      return failed(Status::nodata, "no records of the type asked for");
    default:
      return failed(Status::error, ares_strerror(status));
  }
}

int ares_type(proto::dns::Type type) {
  switch (type) {
    case proto::dns::Type::a:
      return 1;
    case proto::dns::Type::aaaa:
      return 28;
    case proto::dns::Type::mx:
      return 15;
    case proto::dns::Type::txt:
      return 16;
  }
  return 1;
}

// One c-ares channel for one request, driven by the coroutine's executor: c-ares tells which
// sockets it wants watched (the socket-state callback), Asio waits on them without owning them,
// and a timer fires c-ares' own retransmissions. Everything a pending handler touches lives here,
// owned by a shared_ptr, so a handler that runs after the request ended finds it intact.
struct Request : std::enable_shared_from_this<Request> {
  struct Watch {
    explicit Watch(const asio::any_io_executor& ex, int fd) : desc(ex, fd), fd(fd) {}
    asio::posix::stream_descriptor desc;
    int fd;
    bool want_read = false, want_write = false;
    bool reading = false, writing = false;
    bool gone = false;
  };

  explicit Request(const asio::any_io_executor& ex) : ex(ex), retransmit(ex), done_signal(ex) {
    done_signal.expires_at(asio::steady_timer::time_point::max());
  }
  ~Request() { destroy(); }

  asio::any_io_executor ex;
  ares_channel channel = nullptr;
  asio::steady_timer retransmit;
  asio::steady_timer done_signal;  // cancelled when the answer is in
  std::map<int, std::shared_ptr<Watch>> watches;
  bool done = false;
  Answer answer;

  // Returns an error message, or empty when the channel is ready.
  // `raw`: every reply reaches the callback as it came, so that its rcode gives the status
  // (c-ares would otherwise turn SERVFAIL and REFUSED into "could not contact DNS servers").
  std::string init(const DnsSettings& settings, bool raw) {
    static std::once_flag once;
    std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
    ares_options opts{};
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
    opts.sock_state_cb = &Request::on_sock_state;
    opts.sock_state_cb_data = this;
    // One retransmission within the query's timeout; the request's own end caps the total.
    opts.timeout = static_cast<int>(std::max<std::int64_t>(settings.timeout.count() / 2, 50));
    opts.tries = 2;
    // The hosts file first ("localhost" and names an operator pinned), then DNS.
    opts.lookups = const_cast<char*>("fb");
    if (raw) {
      mask |= ARES_OPT_FLAGS;
      opts.flags = ARES_FLAG_NOCHECKRESP;
    }
    if (const int rc = ares_init_options(&channel, &opts, mask); rc != ARES_SUCCESS) {
      channel = nullptr;
      return std::string("cannot start the resolver: ") + ares_strerror(rc);
    }
    if (!settings.servers.empty()) {
      std::string csv;
      for (const auto& s : settings.servers) csv += (csv.empty() ? "" : ",") + s;
      if (const int rc = ares_set_servers_ports_csv(channel, csv.c_str()); rc != ARES_SUCCESS)
        return "cannot use the DNS servers '" + csv + "': " + ares_strerror(rc);
    }
    return {};
  }

  void finish(Answer a) {
    if (done) return;
    done = true;
    answer = std::move(a);
    done_signal.cancel();
  }

  // Closes the channel: c-ares reports every socket gone (each descriptor is released before
  // it closes it) and ends whatever query is still pending.
  void destroy() {
    if (channel == nullptr) return;
    ares_channel ch = channel;
    channel = nullptr;
    ares_destroy(ch);
    retransmit.cancel();
    for (auto& [fd, w] : watches) release(*w);
    watches.clear();
  }

  static void release(Watch& w) {
    w.gone = true;
    if (w.desc.is_open()) (void)w.desc.release();  // c-ares owns the fd and closes it
  }

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<Request*>(data);
    auto it = self->watches.find(fd);
    if (!readable && !writable) {
      if (it != self->watches.end()) {
        release(*it->second);
        self->watches.erase(it);
      }
      return;
    }
    if (it == self->watches.end())
      it = self->watches.emplace(fd, std::make_shared<Watch>(self->ex, fd)).first;
    it->second->want_read = readable != 0;
    it->second->want_write = writable != 0;
    // Waits are armed by the caller once c-ares returns: this runs inside c-ares.
  }

  void arm_all() {
    for (auto& [fd, w] : watches) arm(w);
  }

  void arm(const std::shared_ptr<Watch>& w) {
    if (w->gone || channel == nullptr) return;
    if (w->want_read && !w->reading) {
      w->reading = true;
      w->desc.async_wait(asio::posix::descriptor_base::wait_read,
                         [self = shared_from_this(), w](const error_code& ec) {
                           w->reading = false;
                           if (ec || w->gone || self->channel == nullptr) return;
                           ares_process_fd(self->channel, w->fd, ARES_SOCKET_BAD);
                           self->after_process();
                         });
    }
    if (w->want_write && !w->writing) {
      w->writing = true;
      w->desc.async_wait(asio::posix::descriptor_base::wait_write,
                         [self = shared_from_this(), w](const error_code& ec) {
                           w->writing = false;
                           if (ec || w->gone || self->channel == nullptr) return;
                           ares_process_fd(self->channel, ARES_SOCKET_BAD, w->fd);
                           self->after_process();
                         });
    }
  }

  // After c-ares ran: watch the sockets it now wants and wake it for its next retransmission.
  void after_process() {
    if (channel == nullptr || done) return;
    arm_all();
    timeval max{1, 0};
    timeval tv{};
    const timeval* next = ares_timeout(channel, &max, &tv);
    const auto wait = std::chrono::seconds(next->tv_sec) + std::chrono::microseconds(next->tv_usec);
    retransmit.expires_after(wait);
    retransmit.async_wait([self = shared_from_this()](const error_code& ec) {
      if (ec || self->channel == nullptr || self->done) return;
      ares_process_fd(self->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      self->after_process();
    });
  }

  // Runs the request started by `start` until it answers, its timeout passes or the deadline.
  asio::awaitable<void> run(Mono::time_point end, bool at_deadline) {
    after_process();
    asio::steady_timer cap(ex);
    cap.expires_at(end);
    cap.async_wait([weak = weak_from_this(), at_deadline](const error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->done) return;
      self->finish(failed(Status::timeout, at_deadline ? "no answer before the deadline"
                                                       : "no answer within the query's timeout"));
    });
    if (!done) {
      error_code ec;
      co_await done_signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    cap.cancel();
    destroy();
  }
};

asio::awaitable<void> run_until(Request& req, const DnsSettings& settings,
                                Mono::time_point deadline) {
  const auto own = Mono::now() + settings.timeout;
  co_await req.run(std::min(own, deadline), deadline <= own);
}

}  // namespace

asio::awaitable<Answer> dns_query(const DnsSettings& settings, std::string name,
                                  proto::dns::Type type, Mono::time_point deadline) {
  auto req = std::make_shared<Request>(co_await asio::this_coro::executor);
  if (Mono::now() >= deadline) co_return failed(Status::timeout, "no answer before the deadline");
  if (auto error = req->init(settings, true); !error.empty())
    co_return failed(Status::error, error);
  struct Ctx {
    std::weak_ptr<Request> req;
    proto::dns::Type type;
  };
  auto* ctx = new Ctx{req, type};
  ares_query(
      req->channel, name.c_str(), 1 /* IN */, ares_type(type),
      [](void* arg, int status, int, unsigned char* abuf, int alen) {
        std::unique_ptr<Ctx> c(static_cast<Ctx*>(arg));
        auto r = c->req.lock();
        if (!r) return;
        if (abuf != nullptr && alen > 0)
          r->finish(proto::dns::parse(c->type, abuf, static_cast<std::size_t>(alen)));
        else
          r->finish(from_ares_status(status));
      },
      ctx);
  co_await run_until(*req, settings, deadline);
  co_return std::move(req->answer);
}

asio::awaitable<Answer> dns_host(const DnsSettings& settings, std::string host, IpFamily family,
                                 Mono::time_point deadline) {
  auto req = std::make_shared<Request>(co_await asio::this_coro::executor);
  if (Mono::now() >= deadline) co_return failed(Status::timeout, "no answer before the deadline");
  if (auto error = req->init(settings, false); !error.empty())
    co_return failed(Status::error, error);
  ares_addrinfo_hints hints{};
  hints.ai_family = family == IpFamily::v4   ? AF_INET
                    : family == IpFamily::v6 ? AF_INET6
                                             : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = ARES_AI_NOSORT;
  auto* weak = new std::weak_ptr<Request>(req);
  ares_getaddrinfo(
      req->channel, host.c_str(), nullptr, &hints,
      [](void* arg, int status, int, ares_addrinfo* res) {
        std::unique_ptr<std::weak_ptr<Request>> w(static_cast<std::weak_ptr<Request>*>(arg));
        auto r = w->lock();
        if (r == nullptr || status != ARES_SUCCESS) {
          if (res != nullptr) ares_freeaddrinfo(res);
          if (r) r->finish(from_ares_status(status));
          return;
        }
        Answer a;
        a.status = Status::ok;
        char text[INET6_ADDRSTRLEN];
        for (const ares_addrinfo_node* n = res != nullptr ? res->nodes : nullptr; n != nullptr;
             n = n->ai_next) {
          const void* addr = nullptr;
          if (n->ai_family == AF_INET)
            addr = &reinterpret_cast<const sockaddr_in*>(n->ai_addr)->sin_addr;
          else if (n->ai_family == AF_INET6)
            addr = &reinterpret_cast<const sockaddr_in6*>(n->ai_addr)->sin6_addr;
          if (addr == nullptr || ::inet_ntop(n->ai_family, addr, text, sizeof text) == nullptr)
            continue;
          if (std::find(a.addresses.begin(), a.addresses.end(), text) == a.addresses.end())
            a.addresses.emplace_back(text);
        }
        if (res != nullptr) ares_freeaddrinfo(res);
        if (a.addresses.empty()) a = failed(Status::nodata, "no address");
        r->finish(std::move(a));
      },
      weak);
  co_await run_until(*req, settings, deadline);
  co_return std::move(req->answer);
}

}  // namespace mc
