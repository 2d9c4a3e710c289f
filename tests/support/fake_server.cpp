#include "tests/support/fake_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace mc::test {
namespace {

constexpr int kLineTimeoutMs = 10'000;

void must(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("fake server: ") + what);
}

struct Issued {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

// A P-256 certificate for CN `cn`, valid from `from_s` to `to_s` seconds relative to now, signed
// by `issuer` (self-signed when it is null).
Issued issue(const char* cn, bool ca, long from_s, long to_s, const Issued* issuer, long serial) {
  Issued out;
  out.key = EVP_EC_gen("P-256");
  must(out.key != nullptr, "key generation");
  out.cert = X509_new();
  X509_set_version(out.cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(out.cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(out.cert), from_s);
  X509_gmtime_adj(X509_getm_notAfter(out.cert), to_s);
  X509_set_pubkey(out.cert, out.key);
  X509_NAME* name = X509_get_subject_name(out.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  const Issued& signer = issuer ? *issuer : out;
  X509_set_issuer_name(out.cert, X509_get_subject_name(signer.cert));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, signer.cert, out.cert, nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    must(ext != nullptr, "certificate extension");
    X509_add_ext(out.cert, ext, -1);
    X509_EXTENSION_free(ext);
  };
  if (ca) {
    add(NID_basic_constraints, "critical,CA:TRUE");
    add(NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add(NID_basic_constraints, "critical,CA:FALSE");
    add(NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  }
  must(X509_sign(out.cert, signer.key, EVP_sha256()) > 0, "signing");
  return out;
}

CertFiles save(const Issued& i, const std::string& base) {
  CertFiles f{base + ".pem", base + ".key"};
  FILE* c = std::fopen(f.cert.c_str(), "w");
  FILE* k = std::fopen(f.key.c_str(), "w");
  must(c && k, "writing certificate files");
  PEM_write_X509(c, i.cert);
  PEM_write_PrivateKey(k, i.key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(c);
  std::fclose(k);
  return f;
}

void release(Issued& i) {
  X509_free(i.cert);
  EVP_PKEY_free(i.key);
}

}  // namespace

TestPki::TestPki(const std::string& dir) {
  constexpr long day = 86400;
  Issued ca = issue("mailcanary fake CA", true, -day, 30 * day, nullptr, 1);
  Issued valid = issue("localhost", false, -day, 30 * day, &ca, 2);
  Issued expired = issue("localhost", false, -30 * day, -day, &ca, 3);
  ca_ = save(ca, dir + "/fake-ca");
  valid_ = save(valid, dir + "/valid");
  expired_ = save(expired, dir + "/expired");
  release(ca);
  release(valid);
  release(expired);
}

Conn::~Conn() {
  close();
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

void Conn::close() {
  if (ssl_) {
    SSL_free(static_cast<SSL*>(ssl_));
    ssl_ = nullptr;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Conn::send(const std::string& bytes) {
  if (fd_ < 0) return;
  if (ssl_) {
    SSL_write(static_cast<SSL*>(ssl_), bytes.data(), static_cast<int>(bytes.size()));
    return;
  }
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

int Conn::recv_some(char* buf, int n) {
  if (fd_ < 0) return 0;
  if (!(ssl_ && SSL_pending(static_cast<SSL*>(ssl_)) > 0)) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, kLineTimeoutMs) <= 0) return 0;
  }
  const int got = ssl_ ? SSL_read(static_cast<SSL*>(ssl_), buf, n)
                       : static_cast<int>(::recv(fd_, buf, static_cast<std::size_t>(n), 0));
  if (got > 0) received_.append(buf, static_cast<std::size_t>(got));
  return got;
}

std::optional<std::string> Conn::line() {
  for (;;) {
    const auto end = buffer_.find("\r\n");
    if (end != std::string::npos) {
      std::string l = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      return l;
    }
    char buf[4096];
    const int n = recv_some(buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> Conn::bytes(std::size_t n) {
  while (buffer_.size() < n) {
    char buf[4096];
    const int got = recv_some(buf, sizeof buf);
    if (got <= 0) return std::nullopt;
    buffer_.append(buf, static_cast<std::size_t>(got));
  }
  std::string out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return out;
}

void Conn::reset() {
  if (fd_ >= 0) {
    const linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  close();
}

bool Conn::expect(const std::string& prefix) {
  while (auto l = line()) {
    if (l->size() < prefix.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < prefix.size() && same; ++i)
      same = std::toupper(static_cast<unsigned char>((*l)[i])) ==
             std::toupper(static_cast<unsigned char>(prefix[i]));
    if (same) return true;
  }
  return false;
}

void Conn::start_tls(const CertFiles& cert) {
  must(buffer_.empty(), "client sent bytes before the TLS handshake");
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  must(ctx != nullptr, "SSL_CTX_new");
  ctx_ = ctx;
  must(SSL_CTX_use_certificate_file(ctx, cert.cert.c_str(), SSL_FILETYPE_PEM) == 1, "cert file");
  must(SSL_CTX_use_PrivateKey_file(ctx, cert.key.c_str(), SSL_FILETYPE_PEM) == 1, "key file");
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd_);
  ssl_ = ssl;
  // A failed handshake (the client refused the certificate) just ends this connection.
  if (SSL_accept(ssl) != 1) close();
}

void Conn::hang(int seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (fd_ >= 0 && std::chrono::steady_clock::now() < until) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return;  // the client gave up
    }
  }
}

void Conn::drip(const std::string& bytes, int interval_ms) {
  for (const char b : bytes) {
    if (fd_ < 0) return;
    send(std::string(1, b));
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    // A peek leaves whatever the client sent to line() and to TLS.
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return;  // it gave up
  }
}

void smtp_transaction(Conn& c, const std::string& final_reply) {
  c.send("220 fake.test ESMTP\r\n");
  c.expect("EHLO");
  c.send("250-fake.test\r\n250 8BITMIME\r\n");
  c.expect("MAIL FROM");
  c.send("250 2.1.0 Ok\r\n");
  c.expect("RCPT TO");
  c.send("250 2.1.5 Ok\r\n");
  c.expect("DATA");
  c.send("354 End data with <CR><LF>.<CR><LF>\r\n");
  while (auto l = c.line())
    if (*l == ".") break;
  c.send(final_reply);
  c.expect("QUIT");
  c.send("221 2.0.0 Bye\r\n");
}

FakeServer::FakeServer(std::function<void(Conn&, int)> script, int connections)
    : FakeServer(std::move(script), connections, "127.0.0.1", 0) {}

FakeServer::FakeServer(std::function<void(Conn&, int)> script, int connections,
                       const std::string& address, int port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  must(listen_fd_ >= 0, "socket");
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  must(inet_pton(AF_INET, address.c_str(), &a.sin_addr) == 1 &&
           (ntohl(a.sin_addr.s_addr) >> 24) == 127,
       "a loopback address");
  must(bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0, "bind");
  must(listen(listen_fd_, 8) == 0, "listen");
  socklen_t len = sizeof a;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this, script = std::move(script), connections] {
    for (int i = 0; i < connections; ++i) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20'000) <= 0 || (p.revents & POLLIN) == 0) break;  // none came
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) break;
      Conn c(fd);
      try {
        script(c, i);
      } catch (const std::exception&) {
        // The test sees the outcome through mailcanary's result; nothing to do here.
      }
      received_.push_back(c.received());
    }
  });
}

FakeServer::~FakeServer() {
  // Wakes an accept that waits for a client that will never come.
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

const std::vector<std::string>& FakeServer::received() {
  if (thread_.joinable()) thread_.join();
  return received_;
}

}  // namespace mc::test
