#include "reporters/pushgateway_reporter.hpp"

#include <curl/curl.h>
#include <sys/stat.h>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "codec/base64.hpp"
#include "reporters/metrics.hpp"

namespace mc {
namespace {

std::string url_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// The URL without user:password@, for messages.
std::string shown(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos ||
      (slash != std::string::npos && at > slash))
    return url;
  return url.substr(0, scheme + 3) + url.substr(at + 1);
}

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() < 1024) body->append(data, std::min<std::size_t>(size * n, 1024));
  return size * n;
}

struct Attempt {
  bool retry = false;
  std::optional<std::string> error;
};

}  // namespace

bool url_has_userinfo(const std::string& url) {
  const auto scheme = url.find("://");
  const std::size_t from = scheme == std::string::npos ? 0 : scheme + 3;
  const auto end = url.find_first_of("/?#", from);
  return url.substr(from, end == std::string::npos ? std::string::npos : end - from).find('@') !=
         std::string::npos;
}

std::string push_path(const std::string& vantage) {
  std::string path = "/metrics/job/mailcanary/vantage";
  if (vantage.empty()) return path + "@base64/=";
  if (vantage.find('/') != std::string::npos) {
    std::string b = codec::base64_encode(vantage);
    for (char& c : b) c = c == '+' ? '-' : c == '/' ? '_' : c;  // base64url
    return path + "@base64/" + b;
  }
  return path + "/" + url_escape(vantage);
}

std::optional<std::string> read_push_secret(const std::string& path, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (st.st_mode & 077) {
    error = "secret file " + path + " is open to other users; run: chmod 600 " + path;
    return std::nullopt;
  }
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string v = s.str();
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  if (v.empty()) {
    error = "secret file " + path + " is empty";
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> PushgatewayReporter::write(const RunResult& run,
                                                      const ReportContext& ctx) {
  std::string base = cfg_.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = base + push_path(run.vantage);
  const std::string body = render_metrics(run, ctx, false);

  auto once = [&](std::chrono::milliseconds budget) -> Attempt {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return {false, "cannot initialise libcurl"};
    CURL* c = curl.get();
    curl_slist* headers =
        curl_slist_append(nullptr, "Content-Type: text/plain; version=0.0.4; charset=utf-8");
    std::string bearer;
    if (!cfg_.bearer_token.empty()) {
      bearer = "Authorization: Bearer " + cfg_.bearer_token;
      headers = curl_slist_append(headers, bearer.c_str());
    }
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers,
                                                                            curl_slist_free_all);
    std::string reply;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    // A name lookup that hangs past the timeout must not be waited for at cleanup.
    curl_easy_setopt(c, CURLOPT_QUICK_EXIT, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(budget.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(budget.count()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!cfg_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, cfg_.ca_file.c_str());
    if (!cfg_.basic_auth.empty()) {
      curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(c, CURLOPT_USERPWD, cfg_.basic_auth.c_str());
    }
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) return {true, std::string(curl_easy_strerror(rc))};
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return {};
    for (char& ch : reply)
      if (ch == '\n' || ch == '\r') ch = ' ';
    return {status >= 500, "HTTP " + std::to_string(status) + (reply.empty() ? "" : ": " + reply)};
  };

  std::string last;
  for (int attempt = 1; attempt <= cfg_.attempts; ++attempt) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(ctx.deadline - Mono::now());
    if (left.count() < 100) {
      if (last.empty()) last = "no time left before the run's deadline";
      break;
    }
    const Attempt a = once(std::min(cfg_.timeout, left));
    if (!a.error) return std::nullopt;
    last = *a.error;
    if (!a.retry) break;
    if (attempt < cfg_.attempts) {
      const auto pause = std::min<std::chrono::milliseconds>(
          std::chrono::milliseconds(500 * attempt),
          std::chrono::duration_cast<std::chrono::milliseconds>(ctx.deadline - Mono::now()));
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
    }
  }
  return "push to " + shown(url) + " failed: " + last;
}

}  // namespace mc
