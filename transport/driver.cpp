#include "transport/driver.hpp"

#include "transport/clock.hpp"
#include "transport/connection.hpp"
#include "transport/dns.hpp"
#include "transport/phase_clock.hpp"
#include "transport/tls_facts.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>

namespace mc {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using proto::Action;
using tls::classify_tls_failure;
using tls::collect_tls_facts;
using tls::make_failure;

// Everything a pending handler may touch lives here, owned by a shared_ptr, so that a deadline
// firing after the session ended never reaches freed memory.
struct Session {
  explicit Session(const asio::any_io_executor& ex)
      : socket(ex), deadline_timer(ex), wait_timer(ex), read_signal(ex) {}

  tcp::socket socket;
  asio::steady_timer deadline_timer;
  asio::steady_timer wait_timer;
  std::unique_ptr<ssl::context> tls_ctx;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls;
  bool expired = false;
  // A read in flight that a wake-up did not wait for (IMAP IDLE): it completes into `buf` and
  // cancels `read_signal`; the next read of any machine on the connection takes its bytes.
  bool reading = false;
  bool read_done = false;
  error_code read_ec;
  std::size_t read_n = 0;
  std::array<char, 16 * 1024> buf{};
  asio::steady_timer read_signal;
  // Which machine's deadline is armed. A deadline that fired just as its machine finished may
  // still be queued when the next machine on the connection starts: cancel() cannot take it
  // back, so it checks that it is still the current one.
  std::uint64_t armed = 0;

  // The deadline cancels whatever is in flight; the coroutine then sees operation_aborted and
  // reports a timeout naming the phase it was in.
  void arm(Mono::time_point deadline, const std::shared_ptr<Session>& self) {
    expired = false;
    deadline_timer.expires_at(deadline);
    deadline_timer.async_wait(
        [weak = std::weak_ptr<Session>(self), serial = ++armed](const error_code& ec) {
          auto s = weak.lock();
          if (ec || !s || s->armed != serial) return;
          s->expired = true;
          error_code ignored;
          s->socket.cancel(ignored);
          s->socket.close(ignored);
          s->wait_timer.cancel();
          s->read_signal.cancel();
        });
  }
};

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Builds the TLS context and stream. Returns a failure when the settings cannot be applied.
std::optional<Failure> prepare_tls(Session& s, const SessionOptions& o, const std::string& phase) {
  s.tls_ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* ctx = s.tls_ctx->native_handle();
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
  if (o.tls.min_version == "1.3" || o.tls.min_version == "TLSv1.3")
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  else if (o.tls.min_version == "1.2" || o.tls.min_version == "TLSv1.2")
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (o.tls.verify) {
    s.tls_ctx->set_verify_mode(ssl::verify_peer);
    error_code ec;
    if (!o.tls.ca_file.empty())
      s.tls_ctx->load_verify_file(o.tls.ca_file, ec);
    else
      s.tls_ctx->set_default_verify_paths(ec);
    if (ec)
      return make_failure(Reason::tls_handshake, phase,
                          "cannot load CA file '" + o.tls.ca_file + "': " + ec.message());
  } else {
    s.tls_ctx->set_verify_mode(ssl::verify_none);
  }
  s.tls = std::make_unique<ssl::stream<tcp::socket&>>(s.socket, *s.tls_ctx);
  SSL* ssl = s.tls->native_handle();
  const std::string& name = o.tls.server_name.empty() ? o.host : o.tls.server_name;
  if (is_ip_literal(name)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, name.c_str());
    SSL_set1_host(ssl, name.c_str());
  }
  return std::nullopt;
}

// What lasts from one machine to the next on one connection.
struct Wire {
  SessionOptions o;
  std::shared_ptr<Session> s;
  bool open = false;
  std::string address;
  std::optional<TlsFacts> tls;
  const Transcript* published_of = nullptr;  // the transcript `published` counts lines of
  std::size_t published = 0;
};

class Runner {
 public:
  Runner(Wire& link, proto::Machine& m, Mono::time_point deadline)
      : l_(link), o_(link.o), m_(m), s_(link.s), deadline_(deadline) {
    if (l_.published_of != &m_.transcript()) {
      l_.published_of = &m_.transcript();
      l_.published = 0;
    }
  }

  asio::awaitable<SessionOutcome> run() {
    s_->arm(deadline_, s_);
    if (!l_.open) {
      // A new connection: nothing of a TLS session on an earlier, closed one carries over.
      s_->tls.reset();
      s_->tls_ctx.reset();
      if (auto f = co_await connect()) co_return finish(std::move(*f));
      if (o_.implicit_tls) {
        if (auto f = co_await handshake("tls_handshake")) co_return finish(std::move(*f));
      }
      l_.open = true;
    }
    Action a = m_.start();
    for (;;) {
      publish_transcript();
      clock_.enter(a.phase);
      switch (a.kind) {
        case Action::Kind::write: {
          if (auto f = co_await write(a.data)) co_return finish(std::move(*f));
          a = m_.on_written();
          break;
        }
        case Action::Kind::read: {
          if (a.wait.count() > 0 && wake_serial_ != clock_.serial()) {
            wake_serial_ = clock_.serial();
            wake_at_ = Mono::now() + a.wait;
          }
          bool woken = false;
          auto got = co_await read(a.wait.count() > 0 ? &wake_at_ : nullptr, woken);
          if (woken) {
            a = m_.on_waited();
            break;
          }
          if (!got) co_return finish(std::move(read_failure_));
          a = m_.on_input(*got);
          break;
        }
        case Action::Kind::start_tls: {
          if (auto f = co_await handshake(a.phase)) co_return finish(std::move(*f));
          a = m_.on_tls();
          break;
        }
        case Action::Kind::wait: {
          if (auto f = co_await sleep(a.wait)) co_return finish(std::move(*f));
          a = m_.on_waited();
          break;
        }
        case Action::Kind::done: {
          publish_transcript();
          // The machine's own verdict (a refusal it read in full) leaves the connection as
          // the machine left it; it is the machine's to say whether another may follow.
          if (a.failure) co_return finish(std::move(*a.failure), /*open=*/true);
          co_return finish(std::nullopt);
        }
      }
    }
  }

 private:
  // A failure of the connection (a timeout, a reset, TLS) leaves it in an unknown state: it is
  // closed and never used again. Success, or a failure the machine decided on, leaves it open.
  SessionOutcome finish(std::optional<Failure> f, bool open = false) {
    publish_transcript();
    s_->deadline_timer.cancel();
    ++s_->armed;  // a deadline already queued is this machine's, and it is over
    if (f && !open) {
      error_code ignored;
      s_->socket.close(ignored);
      l_.open = false;
    }
    out_.address = l_.address;
    out_.tls = l_.tls;
    out_.failure = std::move(f);
    out_.phases = clock_.take();
    return std::move(out_);
  }

  // `partial`: bytes that arrived since the last command in this phase, i.e. of the awaited
  // reply. A server that drips its reply is making progress, just not enough; saying "no
  // progress" would send the reader looking for a hung server or a firewall.
  Failure timeout_failure(std::size_t partial = 0) const {
    const std::string& phase = clock_.current();
    if (partial > 0)
      return make_failure(Reason::timeout, phase,
                          "reply not complete before the deadline in phase '" + phase + "' (" +
                              std::to_string(partial) + (partial == 1 ? " byte" : " bytes") +
                              " arrived in it)");
    return make_failure(phase == "connect" ? Reason::connect_timeout : Reason::timeout, phase,
                        "no progress before the deadline in phase '" + phase + "'");
  }

  asio::awaitable<std::optional<Failure>> connect() {
    clock_.enter("resolve");
    auto resolved = co_await resolve();
    if (s_->expired) co_return timeout_failure();
    if (!resolved) co_return std::move(resolve_failure_);
    clock_.enter("connect");
    error_code last = asio::error::host_not_found;
    for (const auto& endpoint : *resolved) {
      error_code cec;
      s_->socket.close(cec);
      co_await s_->socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, cec));
      if (s_->expired) co_return timeout_failure();
      if (!cec) {
        const auto& ep = endpoint;
        l_.address = ep.address().is_v6()
                         ? "[" + ep.address().to_string() + "]:" + std::to_string(ep.port())
                         : ep.address().to_string() + ":" + std::to_string(ep.port());
        s_->socket.set_option(tcp::no_delay(true), cec);
        co_return std::nullopt;
      }
      last = cec;
    }
    co_return make_failure(
        Reason::connect_refused, "connect",
        "cannot connect to " + o_.host + ":" + std::to_string(o_.port) + ": " + last.message());
  }

  // Through c-ares (transport/dns.hpp): the hosts file, then DNS, each query bounded by the
  // file's dns timeout and by the deadline, with nothing left running after it.
  asio::awaitable<std::optional<std::vector<tcp::endpoint>>> resolve() {
    error_code ec;
    if (auto ip = asio::ip::make_address(o_.host, ec); !ec)
      co_return std::vector<tcp::endpoint>{tcp::endpoint(ip, o_.port)};
    const auto answer = co_await dns_host(o_.dns, o_.host, o_.family, deadline_);
    if (s_->expired) co_return std::nullopt;
    if (answer.status != proto::dns::Status::ok) {
      const char* family = o_.family == IpFamily::v4   ? " (IPv4 only)"
                           : o_.family == IpFamily::v6 ? " (IPv6 only)"
                                                       : "";
      resolve_failure_ =
          answer.status == proto::dns::Status::timeout && Mono::now() >= deadline_
              ? timeout_failure()
              : make_failure(Reason::dns, "resolve",
                             "cannot resolve '" + o_.host + "'" + family + ": " + answer.error);
      co_return std::nullopt;
    }
    std::vector<tcp::endpoint> endpoints;
    for (const auto& text : answer.addresses)
      if (auto ip = asio::ip::make_address(text, ec); !ec) endpoints.emplace_back(ip, o_.port);
    co_return endpoints;
  }

  asio::awaitable<std::optional<Failure>> handshake(const std::string& phase) {
    clock_.enter(phase);
    if (auto f = prepare_tls(*s_, o_, phase)) co_return f;
    error_code ec;
    co_await s_->tls->async_handshake(ssl::stream_base::client,
                                      asio::redirect_error(asio::use_awaitable, ec));
    if (s_->expired) co_return timeout_failure();
    SSL* ssl = s_->tls->native_handle();
    if (ec) {
      const std::string& name = o_.tls.server_name.empty() ? o_.host : o_.tls.server_name;
      co_return classify_tls_failure(ssl, ec, phase, name);
    }
    l_.tls = collect_tls_facts(ssl, o_.tls.verify);
    co_return std::nullopt;
  }

  asio::awaitable<std::optional<Failure>> write(const std::string& data) {
    // What arrives from now on answers this command; replies that came in whole before it
    // (one RCPT answered, the next one not) are no partial reply.
    bytes_in_phase_ = 0;
    error_code ec;
    if (s_->tls)
      co_await asio::async_write(*s_->tls, asio::buffer(data),
                                 asio::redirect_error(asio::use_awaitable, ec));
    else
      co_await asio::async_write(s_->socket, asio::buffer(data),
                                 asio::redirect_error(asio::use_awaitable, ec));
    if (s_->expired) co_return timeout_failure();
    if (ec)
      co_return make_failure(Reason::disconnected, clock_.current(),
                             "connection lost while sending: " + ec.message());
    co_return std::nullopt;
  }

  // Servers that leave Nagle's algorithm on (Postfix does) hold a small reply until their
  // previous small segment is acknowledged. After a TLS 1.3 handshake that segment is the session
  // tickets; they arrive after our Finished (and often after our first command), when we have
  // nothing more to send, so Linux would delay its ACK by 40 ms and the server's next reply with
  // it. Quick-ACK mode is not sticky (the kernel leaves it again when we send), hence every read.
  void ack_promptly() {
#ifdef TCP_QUICKACK
    const int on = 1;
    (void)::setsockopt(s_->socket.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
#endif
  }

  // Returns the bytes read; an empty string means the peer closed the connection. With `wake`,
  // `woken` instead when that time comes first; the read stays in flight (a TLS read must not
  // be cancelled half-way), so that the machine may write meanwhile and read its answer later.
  asio::awaitable<std::optional<std::string>> read(const Mono::time_point* wake, bool& woken) {
    ack_promptly();
    if (!s_->reading) {
      s_->reading = true;
      s_->read_done = false;
      auto done = [s = s_](const error_code& ec, std::size_t n) {
        s->read_done = true;
        s->read_ec = ec;
        s->read_n = n;
        s->read_signal.cancel();
      };
      if (s_->tls)
        s_->tls->async_read_some(asio::buffer(s_->buf), done);
      else
        s_->socket.async_read_some(asio::buffer(s_->buf), done);
    }
    // A deadline closes the socket, which completes the read: it is always waited for.
    while (!s_->read_done) {
      error_code ignored;
      s_->read_signal.expires_at(wake != nullptr ? std::min(*wake, deadline_)
                                                 : Mono::time_point::max());
      co_await s_->read_signal.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      if (!s_->read_done && wake != nullptr && Mono::now() >= *wake && !s_->expired) {
        woken = true;
        co_return std::nullopt;
      }
    }
    s_->reading = false;
    const error_code ec = s_->read_ec;
    const std::size_t n = s_->read_done ? s_->read_n : 0;
    s_->read_done = false;
    if (bytes_phase_ != clock_.serial()) {
      bytes_phase_ = clock_.serial();
      bytes_in_phase_ = 0;
    }
    bytes_in_phase_ += n;
    if (s_->expired) {
      read_failure_ = timeout_failure(bytes_in_phase_);
      co_return std::nullopt;
    }
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated) co_return std::string();
    if (ec) {
      read_failure_ = make_failure(Reason::disconnected, clock_.current(),
                                   "connection lost while reading: " + ec.message());
      co_return std::nullopt;
    }
    co_return std::string(s_->buf.data(), n);
  }

  asio::awaitable<std::optional<Failure>> sleep(std::chrono::milliseconds d) {
    error_code ec;
    s_->wait_timer.expires_at(std::min(Mono::now() + d, deadline_));
    co_await s_->wait_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (s_->expired || Mono::now() >= deadline_) co_return timeout_failure();
    co_return std::nullopt;
  }

  void publish_transcript() {
    const auto& t = m_.transcript();
    if (o_.live) {
      const std::size_t fresh = std::min(t.total() - l_.published, t.lines().size());
      for (std::size_t i = t.lines().size() - fresh; i < t.lines().size(); ++i)
        o_.live(t.lines()[i]);
    }
    l_.published = t.total();
  }

  Wire& l_;
  const SessionOptions& o_;
  proto::Machine& m_;
  std::shared_ptr<Session> s_;
  Mono::time_point deadline_;
  PhaseClock clock_;
  SessionOutcome out_;
  Failure read_failure_;
  Failure resolve_failure_;
  Mono::time_point wake_at_{};   // when the long read of the current phase wakes the machine
  std::size_t wake_serial_ = 0;  // the PhaseClock serial wake_at_ belongs to
  std::size_t bytes_phase_ = 0;  // the PhaseClock serial bytes_in_phase_ counts for
  std::size_t bytes_in_phase_ = 0;
};

class SocketConnection final : public Connection {
 public:
  SocketConnection(SessionOptions o, const asio::any_io_executor* ex) {
    link_.o = std::move(o);
    if (ex != nullptr) link_.s = std::make_shared<Session>(*ex);
  }
  ~SocketConnection() override { close(); }

  asio::awaitable<SessionOutcome> run(proto::Machine& machine, Mono::time_point deadline) override {
    // A connection is bound to the executor of the coroutine that first runs on it.
    if (!link_.s) link_.s = std::make_shared<Session>(co_await asio::this_coro::executor);
    Runner runner(link_, machine, deadline);
    co_return co_await runner.run();
  }
  bool is_open() const override { return link_.open; }
  void close() override {
    if (!link_.s) return;
    error_code ignored;
    link_.s->deadline_timer.cancel();
    ++link_.s->armed;
    link_.s->socket.close(ignored);
    link_.open = false;
  }

 private:
  Wire link_;
};

class SocketTransport final : public Transport {
 public:
  std::unique_ptr<Connection> connect(SessionOptions opts) override {
    return std::make_unique<SocketConnection>(std::move(opts), nullptr);
  }
};

}  // namespace

Transport& socket_transport() {
  static SocketTransport transport;
  return transport;
}

asio::awaitable<SessionOutcome> run_session(SessionOptions opts, proto::Machine& machine) {
  const auto deadline = opts.deadline;
  SocketConnection connection(std::move(opts), nullptr);
  co_return co_await connection.run(machine, deadline);
}

}  // namespace mc
