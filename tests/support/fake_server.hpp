// Test support: a scripted fake server on 127.0.0.1 for the faults no real server shows on
// demand (hangs, garbage, endless lines, disconnects, odd replies, bad certificates). Each test
// writes the server's side of the dialogue as straight-line code that runs in a thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mc::test {

// A certificate and key in PEM files, made for a test.
struct CertFiles {
  std::string cert;
  std::string key;
};

// A self-signed CA, and server certificates it signs for "localhost" and 127.0.0.1.
class TestPki {
 public:
  explicit TestPki(const std::string& dir);
  const std::string& ca_file() const { return ca_.cert; }
  CertFiles valid() const { return valid_; }
  CertFiles expired() const { return expired_; }

 private:
  CertFiles ca_, valid_, expired_;
};

// One accepted connection, seen from the server.
class Conn {
 public:
  explicit Conn(int fd) : fd_(fd) {}
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void send(const std::string& bytes);
  // The next CRLF line the client sent (without CRLF); nullopt when it closed or after 10 s.
  std::optional<std::string> line();
  // The next `n` bytes after the lines read (an HTTP body); nullopt when they did not all come.
  std::optional<std::string> bytes(std::size_t n);
  // Closes with a TCP reset (SO_LINGER 0), as a crashing server or a firewall does.
  void reset();
  // Reads lines until one starts with `prefix` (case-insensitive); false if none came.
  bool expect(const std::string& prefix);
  void start_tls(const CertFiles& cert);  // server side of the TLS handshake
  void close();
  // Blocks until the client closes (a hung server), at most `seconds`.
  void hang(int seconds = 20);
  // Sends `bytes` one at a time, `interval_ms` apart, until all are sent or the client closes.
  void drip(const std::string& bytes, int interval_ms);
  // Everything the client sent, in order, as received (after TLS: decrypted).
  const std::string& received() const { return received_; }

 private:
  int recv_some(char* buf, int n);
  int fd_;
  void* ssl_ = nullptr;  // SSL*, kept out of this header
  void* ctx_ = nullptr;  // SSL_CTX*
  std::string buffer_;
  std::string received_;
};

// The server side of one plain SMTP transaction (no TLS, no AUTH), answering the message with
// `final_reply`, then QUIT.
void smtp_transaction(Conn& c,
                      const std::string& final_reply = "250 2.0.0 Ok: queued as FAKE1\r\n");

class FakeServer {
 public:
  // Accepts `connections` connections, one after another, and runs `script` on each.
  explicit FakeServer(std::function<void(Conn&, int index)> script, int connections = 1);
  // The same on a given loopback address and port (another 127.0.0.0/8 address than a real
  // server's, on its port: an MX host that a test's DNS names).
  FakeServer(std::function<void(Conn&, int index)> script, int connections,
             const std::string& address, int port);
  ~FakeServer();
  int port() const { return port_; }
  // Waits for the script to finish, then returns what the client sent on each connection.
  const std::vector<std::string>& received();

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::vector<std::string> received_;
};

}  // namespace mc::test
