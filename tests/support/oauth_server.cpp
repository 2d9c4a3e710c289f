#include "tests/support/oauth_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

namespace mc::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// The value of `key` in an application/x-www-form-urlencoded body, decoded.
std::string form_value(const std::string& body, const std::string& key) {
  std::size_t at = 0;
  while (at <= body.size()) {
    const std::size_t end = std::min(body.find('&', at), body.size());
    const std::string pair = body.substr(at, end - at);
    const std::size_t eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == key) {
      std::string out;
      for (std::size_t i = eq + 1; i < pair.size(); ++i) {
        if (pair[i] == '+') {
          out += ' ';
        } else if (pair[i] == '%' && i + 2 < pair.size()) {
          out += static_cast<char>(std::stoi(pair.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += pair[i];
        }
      }
      return out;
    }
    at = end + 1;
  }
  return {};
}

}  // namespace

struct OAuthServer::Impl {
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  tcp::acceptor token_acceptor{io};
  std::thread thread;
  mutable std::mutex mutex;
  std::map<std::string, std::string> tokens;   // access token -> user
  std::map<std::string, std::string> refresh;  // refresh token -> user
  std::string client_id, client_secret, client_user;
  int introspections = 0;
  int token_requests = 0;
  std::string last_issued;

  std::pair<http::status, nlohmann::json> issue(const std::string& body) {
    std::lock_guard lock(mutex);
    ++token_requests;
    if (form_value(body, "client_id") != client_id ||
        form_value(body, "client_secret") != client_secret)
      return {http::status::unauthorized, {{"error", "invalid_client"}}};
    const std::string grant = form_value(body, "grant_type");
    std::string user;
    if (grant == "refresh_token") {
      const auto it = refresh.find(form_value(body, "refresh_token"));
      if (it == refresh.end())
        return {http::status::bad_request,
                {{"error", "invalid_grant"}, {"error_description", "Token has been revoked."}}};
      user = it->second;
    } else if (grant == "client_credentials") {
      user = client_user;
    } else {
      return {http::status::bad_request, {{"error", "unsupported_grant_type"}}};
    }
    last_issued = "at-" + std::to_string(token_requests) + "-Issued-Sentinel-5e0b";
    tokens[last_issued] = user;
    return {http::status::ok,
            {{"access_token", last_issued}, {"token_type", "Bearer"}, {"expires_in", 3599}}};
  }

  nlohmann::json introspect(const std::string& token) {
    std::lock_guard lock(mutex);
    ++introspections;
    const auto it = tokens.find(token);
    if (it == tokens.end()) return {{"active", false}};
    return {{"active", true}, {"username", it->second}, {"token_type", "Bearer"}};
  }

  http::response<http::string_body> answer(const http::request<http::string_body>& req) {
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(false);
    // Dovecot's oauth2 passdb POSTs token=... (introspection_mode = post).
    if (req.method() == http::verb::post && req.target() == "/introspect") {
      res.body() = introspect(form_value(req.body(), "token")).dump();
    } else if (req.method() == http::verb::post && req.target() == "/token") {
      auto [status, doc] = issue(req.body());
      res.result(status);
      res.body() = doc.dump();
    } else {
      res.result(http::status::not_found);
      res.body() = R"({"error":"not_found"})";
    }
    res.prepare_payload();
    return res;
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
    try {
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      co_await stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
      beast::flat_buffer buffer;
      http::request<http::string_body> req;
      co_await http::async_read(stream, buffer, req, asio::use_awaitable);
      http::response<http::string_body> res = answer(req);
      co_await http::async_write(stream, res, asio::use_awaitable);
      beast::get_lowest_layer(stream).close();
    } catch (const std::exception&) {
      // A client that went away: nothing to answer.
    }
  }

  static void listen(tcp::acceptor& a, int port) {
    const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    a.open(at.protocol());
    a.set_option(tcp::acceptor::reuse_address(true));
    a.bind(at);
    a.listen();
  }

  asio::awaitable<void> accept(tcp::acceptor& from) {
    for (;;) {
      tcp::socket socket = co_await from.async_accept(asio::use_awaitable);
      asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
  }
};

OAuthServer::OAuthServer(int port, const std::string& cert_file, const std::string& key_file)
    : OAuthServer(port, 0, cert_file, key_file) {}

OAuthServer::OAuthServer(int port, int token_port, const std::string& cert_file,
                         const std::string& key_file)
    : impl_(std::make_unique<Impl>()) {
  impl_->tls.use_certificate_chain_file(cert_file);
  impl_->tls.use_private_key_file(key_file, asio::ssl::context::pem);
  Impl::listen(impl_->acceptor, port);
  asio::co_spawn(impl_->io, impl_->accept(impl_->acceptor), asio::detached);
  if (token_port != 0) {
    Impl::listen(impl_->token_acceptor, token_port);
    asio::co_spawn(impl_->io, impl_->accept(impl_->token_acceptor), asio::detached);
  }
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

OAuthServer::~OAuthServer() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void OAuthServer::add_token(const std::string& token, const std::string& user) {
  std::lock_guard lock(impl_->mutex);
  impl_->tokens[token] = user;
}

int OAuthServer::introspections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->introspections;
}

}  // namespace mc::test

namespace mc::test {

void OAuthServer::set_client(const std::string& id, const std::string& secret,
                             const std::string& user) {
  std::lock_guard lock(impl_->mutex);
  impl_->client_id = id;
  impl_->client_secret = secret;
  impl_->client_user = user;
}

void OAuthServer::add_refresh_token(const std::string& refresh, const std::string& user) {
  std::lock_guard lock(impl_->mutex);
  impl_->refresh[refresh] = user;
}

int OAuthServer::token_requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->token_requests;
}

std::string OAuthServer::last_issued() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_issued;
}

}  // namespace mc::test
