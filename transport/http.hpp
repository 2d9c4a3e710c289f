// One HTTP request through libcurl, driven by the coroutine's Asio executor: curl's sockets and
// timer are watched by Asio, and the request ends at its deadline with nothing of it left
// running. curl's own timings become the phases. curl and Asio stay inside http.cpp.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "transport/driver.hpp"

namespace mc {

// Bodies beyond this are refused as a `protocol` failure: a page a user waits for is far
// smaller, and a hostile server must not fill the probe's memory.
inline constexpr std::size_t kMaxHttpBody = 4 * 1024 * 1024;

struct HttpRequest {
  std::string scheme;  // "http" or "https"
  std::string host;    // where to connect
  std::uint16_t port = 0;
  std::string target;  // "/login?x=1": path and query, starting with '/'
  std::string method = "GET";
  std::vector<std::string> headers;  // "Name: value", checked for line breaks by the loader
  std::optional<std::string> body;
  // Basic auth when `user` is not empty.
  std::string user;
  std::string password;
  TlsSettings tls;  // tls.server_name, when set, is the name in the URL: SNI, the name check
                    // and the Host header, while the connection goes to `host`
  // The scenario's cookies, as curl writes them (Netscape cookie-file lines): sent where they
  // belong, and replaced with the jar after the response.
  std::vector<std::string> cookies;
  DnsSettings dns;                  // how the host's name is looked up
  IpFamily family = IpFamily::any;  // the server's "ip"
  Mono::time_point deadline;
  std::function<void(const TranscriptLine&)> live;
};

struct HttpResponse {
  long status = 0;  // 0 when no response came
  std::string http_version;
  std::string body;         // at most kMaxHttpBody bytes
  std::uint64_t bytes = 0;  // body bytes received
  std::string content_type;
  std::string redirect;              // the Location of a 3xx, resolved against the request's URL
  std::vector<std::string> cookies;  // the jar after the response
  SessionOutcome outcome;            // phases, failure, address, TLS facts
  std::vector<TranscriptLine> transcript;  // request and response lines, secrets left out
};

// Never throws for network trouble: every problem comes back in outcome.failure, naming its
// phase (resolve, connect, tls_handshake, request, first_byte, transfer) and a reason.
boost::asio::awaitable<HttpResponse> http_request(HttpRequest req);

// A URL with its query's values left out ("/?_task=...&_token=..."): a redirect's query often
// carries a session token, and the URL goes into reports.
std::string without_query_values(const std::string& url);

// The URL curl is given: scheme://NAME:PORT/target, NAME the tls server_name when set, IPv6
// literals in brackets.
std::string http_url(const HttpRequest& req);

}  // namespace mc
