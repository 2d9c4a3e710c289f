#include "transport/curl_multi.hpp"

#include <poll.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mc {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// One socket curl asked to have watched. Asio must never close it: curl does.
struct Watch {
  Watch(const asio::any_io_executor& ex, int fd) : d(ex, fd) {}
  ~Watch() {
    if (d.is_open()) (void)d.release();
  }
  asio::posix::stream_descriptor d;
  int want = 0;  // CURL_POLL_IN / OUT / INOUT
  bool in_pending = false;
  bool out_pending = false;
  bool gone = false;
};

}  // namespace

struct CurlMulti::State : std::enable_shared_from_this<State> {
  explicit State(const asio::any_io_executor& e) : ex(e), curl_timer(e), wake(e) {}

  asio::any_io_executor ex;
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
  bool added = false;
  bool stopping = false;
  asio::steady_timer curl_timer;
  asio::steady_timer wake;  // the waiting coroutine; cancelled when the transfer is done
  std::map<curl_socket_t, std::shared_ptr<Watch>> watches;
  std::optional<CURLcode> result;

  void act(curl_socket_t fd, int events) {
    if (stopping) return;
    int running = 0;
    curl_multi_socket_action(multi, fd, events, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left))
      if (m->msg == CURLMSG_DONE && m->easy_handle == easy) {
        result = m->data.result;
        wake.cancel();
      }
  }

  void forget(curl_socket_t fd) {
    auto it = watches.find(fd);
    if (it == watches.end()) return;
    it->second->gone = true;
    error_code ignored;
    it->second->d.cancel(ignored);
    (void)it->second->d.release();
    watches.erase(it);
  }

  void arm(curl_socket_t fd, const std::shared_ptr<Watch>& w) {
    if ((w->want & CURL_POLL_IN) && !w->in_pending) wait(fd, w, true);
    if ((w->want & CURL_POLL_OUT) && !w->out_pending) wait(fd, w, false);
  }

  void wait(curl_socket_t fd, const std::shared_ptr<Watch>& w, bool in) {
    (in ? w->in_pending : w->out_pending) = true;
    auto done = [self = shared_from_this(), w, fd, in](const error_code& ec) {
      (in ? w->in_pending : w->out_pending) = false;
      if (ec || w->gone || self->stopping) return;
      if (!(w->want & (in ? CURL_POLL_IN : CURL_POLL_OUT))) return;
      self->act(fd, in ? CURL_CSELECT_IN : CURL_CSELECT_OUT);
      if (!w->gone && !self->stopping) self->arm(fd, w);
    };
    // Asio's reactor is edge-triggered: readiness it reported before this wait (data curl left
    // unread) would never be reported again, so a socket that is ready now is acted on at once.
    // The loop runs on one thread, so readiness that comes after this look is reported.
    pollfd p{fd, static_cast<short>(in ? POLLIN : POLLOUT), 0};
    if (::poll(&p, 1, 0) > 0) {
      asio::post(ex, [done] { done(error_code{}); });
      return;
    }
    w->d.async_wait(
        in ? asio::posix::descriptor_base::wait_read : asio::posix::descriptor_base::wait_write,
        done);
  }

  static int on_socket(CURL*, curl_socket_t fd, int what, void* userp, void*) {
    auto* s = static_cast<State*>(userp);
    if (what == CURL_POLL_REMOVE) {
      s->forget(fd);
      return 0;
    }
    auto& w = s->watches[fd];
    if (!w) {
      try {
        w = std::make_shared<Watch>(s->ex, fd);
      } catch (const std::exception&) {
        s->watches.erase(fd);
        return -1;
      }
    }
    w->want = what;
    if (!s->stopping) s->arm(fd, w);
    return 0;
  }

  // curl asks for its timer: never call curl back from inside this callback.
  static int on_timer(CURLM*, long ms, void* userp) {
    auto* s = static_cast<State*>(userp);
    s->curl_timer.cancel();
    if (ms < 0 || s->stopping) return 0;
    s->curl_timer.expires_after(std::chrono::milliseconds(ms));
    s->curl_timer.async_wait([self = s->shared_from_this()](const error_code& ec) {
      if (!ec) self->act(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }

  static int on_close(void* clientp, curl_socket_t fd) {
    static_cast<State*>(clientp)->forget(fd);
    return ::close(fd);
  }
};

CurlMulti::CurlMulti(const asio::any_io_executor& ex) : s_(std::make_shared<State>(ex)) {
  s_->multi = curl_multi_init();
  if (s_->multi == nullptr) return;
  curl_multi_setopt(s_->multi, CURLMOPT_SOCKETFUNCTION, &State::on_socket);
  curl_multi_setopt(s_->multi, CURLMOPT_SOCKETDATA, s_.get());
  curl_multi_setopt(s_->multi, CURLMOPT_TIMERFUNCTION, &State::on_timer);
  curl_multi_setopt(s_->multi, CURLMOPT_TIMERDATA, s_.get());
}

CurlMulti::~CurlMulti() {
  // Removing an unfinished transfer closes its connection (through on_close); cleanup closes
  // whatever the multi handle still holds. After this, no socket of it is open and no handler
  // of it acts: the ones still queued see `stopping`.
  if (s_->multi != nullptr) {
    if (s_->added) curl_multi_remove_handle(s_->multi, s_->easy);
    s_->stopping = true;
    curl_multi_cleanup(s_->multi);
    s_->multi = nullptr;
    // The easy handle outlives this: it must not call back into a State that may be gone.
    if (s_->easy != nullptr) curl_easy_setopt(s_->easy, CURLOPT_CLOSESOCKETFUNCTION, nullptr);
  }
  s_->stopping = true;
  while (!s_->watches.empty()) s_->forget(s_->watches.begin()->first);
  s_->curl_timer.cancel();
  s_->wake.cancel();
}

asio::awaitable<std::optional<CURLcode>> CurlMulti::perform(CURL* easy, Mono::time_point deadline) {
  if (s_->multi == nullptr) co_return CURLE_FAILED_INIT;
  s_->easy = easy;
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &State::on_close);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, s_.get());
  if (curl_multi_add_handle(s_->multi, easy) != CURLM_OK) co_return CURLE_FAILED_INIT;
  s_->added = true;
  while (!s_->result && Mono::now() < deadline) {
    s_->wake.expires_at(deadline);
    error_code ec;
    co_await s_->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return s_->result;
}

}  // namespace mc
