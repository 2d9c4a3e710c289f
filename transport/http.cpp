#include "transport/http.hpp"

#include <curl/curl.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "transport/curl_multi.hpp"
#include "transport/dns.hpp"
#include "transport/tls_facts.hpp"

namespace mc {

namespace asio = boost::asio;
using boost::system::error_code;
using tls::make_failure;

namespace {

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// The name lookup every leg makes (transport/dns.hpp, c-ares), so that curl never looks a name
// up itself: its resolver thread would outlive a deadline, or hold the loop at cleanup.
struct Resolved {
  std::vector<std::string> addresses;
  std::optional<Failure> failure;
};

asio::awaitable<Resolved> resolve(const HttpRequest& req) {
  Resolved out;
  if (is_ip_literal(req.host)) {
    out.addresses.push_back(req.host);
    co_return out;
  }
  const auto answer = co_await dns_host(req.dns, req.host, req.family, req.deadline);
  if (Mono::now() >= req.deadline) {
    out.failure = make_failure(Reason::timeout, "resolve",
                               "no progress before the deadline in phase 'resolve'");
    co_return out;
  }
  if (answer.status != proto::dns::Status::ok || answer.addresses.empty()) {
    out.failure = make_failure(Reason::dns, "resolve",
                               "cannot resolve '" + req.host +
                                   "': " + (answer.error.empty() ? "no address" : answer.error));
    co_return out;
  }
  for (const auto& a : answer.addresses)
    if (std::find(out.addresses.begin(), out.addresses.end(), a) == out.addresses.end())
      out.addresses.push_back(a);
  co_return out;
}

struct Collect {
  HttpResponse* res = nullptr;
  bool verify = true;
  bool too_big = false;
  bool tls_seen = false;
  CURL* easy = nullptr;
  const std::function<void(const TranscriptLine&)>* live = nullptr;

  void line(TranscriptLine::Dir d, std::string text) {
    if (res->transcript.size() >= 400) return;
    TranscriptLine l{d, std::move(text)};
    if (live != nullptr && *live) (*live)(l);
    res->transcript.push_back(std::move(l));
  }
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* c = static_cast<Collect*>(user);
  const std::size_t len = size * n;
  if (c->res->body.size() + len > kMaxHttpBody) {
    c->too_big = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  c->res->body.append(data, len);
  return len;
}

// Header fields that carry credentials or sessions are shown by name only.
bool secret_field(std::string_view line) {
  for (std::string_view name :
       {"set-cookie:", "cookie:", "authorization:", "www-authenticate:", "proxy-authorization:"}) {
    if (line.size() < name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(line[i])) == name[i];
    if (same) return name != "www-authenticate:";
  }
  return false;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* c = static_cast<Collect*>(user);
  const std::size_t len = size * n;
  if (!c->tls_seen) {
    // The first header line comes after the handshake, while the SSL* is still curl's.
    c->tls_seen = true;
    const curl_tlssessioninfo* info = nullptr;
    if (curl_easy_getinfo(c->easy, CURLINFO_TLS_SSL_PTR, &info) == CURLE_OK && info != nullptr &&
        info->backend == CURLSSLBACKEND_OPENSSL && info->internals != nullptr)
      c->res->outcome.tls = tls::collect_tls_facts(static_cast<SSL*>(info->internals), c->verify);
  }
  std::string text(data, len);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return len;
  for (char& ch : text)
    if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t') ch = '?';
  if (secret_field(text)) {
    text = text.substr(0, text.find(':') + 1) + " (not shown)";
  } else if (text.size() > 9 &&
             (text.compare(0, 9, "Location:") == 0 || text.compare(0, 9, "location:") == 0)) {
    text = "Location: " + without_query_values(text.substr(text.find_first_not_of(" ", 9)));
  }
  c->line(TranscriptLine::Dir::server, std::move(text));
  return len;
}

// curl's milestones, in microseconds from the start of the transfer; 0 where not reached.
struct Milestones {
  curl_off_t connect = 0, appconnect = 0, pretransfer = 0, starttransfer = 0, total = 0;
};

Milestones milestones(CURL* easy) {
  Milestones m;
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &m.connect);
  curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &m.appconnect);
  curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &m.pretransfer);
  curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &m.starttransfer);
  curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &m.total);
  return m;
}

// The phases curl's timings make, from `t0` (the transfer's start); a transfer that did not end
// has its last phase run to `end`. Returns the phase it was in when it ended.
std::string add_phases(std::vector<TimedPhase>& phases, const Milestones& m, bool https,
                       bool finished, Mono::time_point t0, Mono::time_point end) {
  auto at = [&](curl_off_t us) { return t0 + std::chrono::microseconds(us); };
  curl_off_t from = 0;
  auto step = [&](const char* name, curl_off_t to) {
    phases.push_back({name, at(from), at(std::max(to, from))});
    from = std::max(to, from);
  };
  auto open = [&](const char* name) {
    phases.push_back({name, at(from), std::max(end, at(from))});
    return std::string(name);
  };
  if (m.connect > 0)
    step("connect", m.connect);
  else if (m.pretransfer == 0)
    return open("connect");
  if (https && m.appconnect > 0)
    step("tls_handshake", m.appconnect);
  else if (https && m.connect > 0 && m.pretransfer == 0)
    return open("tls_handshake");
  if (m.pretransfer == 0) return open("request");
  step("request", m.pretransfer);
  if (m.starttransfer == 0) return open("first_byte");
  step("first_byte", m.starttransfer);
  if (finished && m.total > 0) {
    step("transfer", m.total);
    return "transfer";
  }
  return open("transfer");
}

Failure classify(CURLcode rc, CURL* easy, const std::string& phase, const HttpRequest& req,
                 const Collect& c) {
  const std::string what = curl_easy_strerror(rc);
  const std::string name = req.tls.server_name.empty() ? req.host : req.tls.server_name;
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return make_failure(Reason::dns, "resolve", "cannot resolve '" + req.host + "'");
    case CURLE_COULDNT_CONNECT:
      return make_failure(Reason::connect_refused, "connect",
                          "cannot connect to " + bracketed(req.host) + ":" +
                              std::to_string(req.port) + ": " + what);
    case CURLE_PEER_FAILED_VERIFICATION: {
      long v = X509_V_OK;
      curl_easy_getinfo(easy, CURLINFO_SSL_VERIFYRESULT, &v);
      if (v == X509_V_ERR_CERT_HAS_EXPIRED || v == X509_V_ERR_CERT_NOT_YET_VALID)
        return make_failure(Reason::tls_cert_expired, "tls_handshake",
                            std::string("server certificate: ") + X509_verify_cert_error_string(v));
      // curl checks the name itself, after OpenSSL verified the chain.
      if (v == X509_V_OK || v == X509_V_ERR_HOSTNAME_MISMATCH ||
          v == X509_V_ERR_IP_ADDRESS_MISMATCH)
        return make_failure(Reason::tls_cert_hostname, "tls_handshake",
                            "server certificate is not valid for '" + name + "'");
      return make_failure(Reason::tls_cert_untrusted, "tls_handshake",
                          std::string("server certificate not trusted: ") +
                              X509_verify_cert_error_string(v) +
                              " (set tls.ca_file to the CA that signed it)");
    }
    case CURLE_SSL_CACERT_BADFILE:
      return make_failure(Reason::tls_handshake, "tls_handshake",
                          "cannot load CA file '" + req.tls.ca_file + "'");
    case CURLE_SSL_CONNECT_ERROR:
      return make_failure(Reason::tls_handshake, "tls_handshake", "TLS handshake failed: " + what);
    case CURLE_WRITE_ERROR:
      if (c.too_big)
        return make_failure(Reason::protocol, phase,
                            "the response body is larger than " +
                                std::to_string(kMaxHttpBody / (1024 * 1024)) + " MiB");
      break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return make_failure(Reason::disconnected, phase, "connection lost: " + what);
    default:
      break;
  }
  return make_failure(Reason::protocol, phase, "HTTP request failed: " + what);
}

void set_tls(CURL* e, const TlsSettings& t) {
  if (!t.verify) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!t.ca_file.empty()) {
    curl_easy_setopt(e, CURLOPT_CAINFO, t.ca_file.c_str());
    curl_easy_setopt(e, CURLOPT_CAPATH, nullptr);
  }
  if (t.min_version == "1.3" || t.min_version == "TLSv1.3")
    curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_3));
  else if (t.min_version == "1.2" || t.min_version == "TLSv1.2")
    curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
}

using EasyPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using ListPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

}  // namespace

std::string without_query_values(const std::string& url) {
  const auto q = url.find('?');
  if (q == std::string::npos) return url;
  const auto hash = url.find('#', q);
  const std::string query = url.substr(q + 1, hash == std::string::npos ? hash : hash - q - 1);
  std::string out = url.substr(0, q + 1);
  std::size_t from = 0;
  while (from <= query.size()) {
    auto amp = query.find('&', from);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(from, amp - from);
    const auto eq = pair.find('=');
    if (from > 0) out += '&';
    out += eq == std::string::npos ? pair : pair.substr(0, eq) + "=...";
    from = amp + 1;
  }
  return out;
}

std::string http_url(const HttpRequest& req) {
  const std::string& name = req.tls.server_name.empty() ? req.host : req.tls.server_name;
  return req.scheme + "://" + bracketed(name) + ":" + std::to_string(req.port) + req.target;
}

asio::awaitable<HttpResponse> http_request(HttpRequest req) {
  HttpResponse res;
  auto& out = res.outcome;
  const bool https = req.scheme == "https";
  const std::string name = req.tls.server_name.empty() ? req.host : req.tls.server_name;
  Collect c;
  c.res = &res;
  c.verify = req.tls.verify;
  c.live = &req.live;
  c.line(TranscriptLine::Dir::client, req.method + " " + req.target);

  const auto r0 = Mono::now();
  std::vector<std::string> addresses;
  if (!is_ip_literal(name) || name != req.host) {
    auto r = co_await resolve(req);
    if (!is_ip_literal(req.host)) out.phases.push_back({"resolve", r0, Mono::now()});
    if (r.failure) {
      out.failure = std::move(r.failure);
      co_return res;
    }
    addresses = std::move(r.addresses);
  }

  EasyPtr easy(curl_easy_init(), curl_easy_cleanup);
  if (!easy) {
    out.failure = make_failure(Reason::internal, "connect", "cannot initialise libcurl");
    co_return res;
  }
  CURL* e = easy.get();
  c.easy = e;
  const std::string url = http_url(req);
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  // The probe measures the way to the server itself: no proxy from the environment, a
  // connection of its own, no redirect followed (the result names its target).
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxHttpBody));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &c);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &c);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "mailcanary");
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  std::string resolve_entry;
  ListPtr resolve_list(nullptr, curl_slist_free_all);
  if (!addresses.empty()) {
    resolve_entry = name + ":" + std::to_string(req.port) + ":";
    for (std::size_t i = 0; i < addresses.size(); ++i)
      resolve_entry += (i ? "," : "") + bracketed(addresses[i]);
    resolve_list.reset(curl_slist_append(nullptr, resolve_entry.c_str()));
    curl_easy_setopt(e, CURLOPT_RESOLVE, resolve_list.get());
  }
  if (req.method == "HEAD")
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  else if (req.method != "GET")
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.body) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, req.body->data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body->size()));
  }
  ListPtr headers(nullptr, curl_slist_free_all);
  // A body goes at once, without waiting for a 100 Continue that some servers never send.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));
  for (const auto& h : req.headers) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
    c.line(TranscriptLine::Dir::client,
           secret_field(h) ? h.substr(0, h.find(':') + 1) + " (not shown)" : h);
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
  if (!req.user.empty()) {
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(e, CURLOPT_USERNAME, req.user.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, req.password.c_str());
    c.line(TranscriptLine::Dir::client, "Authorization: (basic, not shown)");
  }
  if (req.body) c.line(TranscriptLine::Dir::note, std::to_string(req.body->size()) + " bytes sent");
  if (https) set_tls(e, req.tls);
  curl_easy_setopt(e, CURLOPT_COOKIEFILE, "");  // the cookie engine on, with the scenario's jar
  for (const auto& cookie : req.cookies) curl_easy_setopt(e, CURLOPT_COOKIELIST, cookie.c_str());

  std::optional<CURLcode> rc;
  const auto t0 = Mono::now();
  {
    CurlMulti multi(co_await asio::this_coro::executor);
    rc = co_await multi.perform(e, req.deadline);
    const auto end = Mono::now();
    const std::string phase =
        add_phases(out.phases, milestones(e), https, rc && *rc == CURLE_OK, t0, end);
    if (!rc) {
      out.failure =
          make_failure(phase == "connect" ? Reason::connect_timeout : Reason::timeout, phase,
                       (phase == "transfer" ? "response not complete before the deadline in phase '"
                                            : "no progress before the deadline in phase '") +
                           phase + "'");
    } else if (*rc != CURLE_OK) {
      out.failure = classify(*rc, e, phase, req, c);
    }
  }  // the multi handle is gone: every socket of this request is closed

  char* ip = nullptr;
  long port = 0;
  if (curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != nullptr && *ip) {
    curl_easy_getinfo(e, CURLINFO_PRIMARY_PORT, &port);
    out.address = bracketed(ip) + ":" + std::to_string(port);
  }
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res.status);
  long version = 0;
  curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
  res.http_version = version == CURL_HTTP_VERSION_2_0   ? "2"
                     : version == CURL_HTTP_VERSION_1_0 ? "1.0"
                     : version == CURL_HTTP_VERSION_3   ? "3"
                     : version != 0                     ? "1.1"
                                                        : "";
  curl_off_t bytes = 0;
  curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &bytes);
  res.bytes = static_cast<std::uint64_t>(bytes);
  char* type = nullptr;
  if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != nullptr)
    res.content_type = type;
  char* location = nullptr;
  if (curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr)
    res.redirect = without_query_values(location);
  curl_slist* jar = nullptr;
  if (curl_easy_getinfo(e, CURLINFO_COOKIELIST, &jar) == CURLE_OK) {
    for (curl_slist* i = jar; i != nullptr; i = i->next) res.cookies.emplace_back(i->data);
    curl_slist_free_all(jar);
  }
  if (res.status == 0 && !out.failure)
    out.failure = make_failure(Reason::protocol, "first_byte", "no HTTP response");
  co_return res;
}

}  // namespace mc
