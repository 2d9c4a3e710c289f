// http.get's run: the request (transport/http.hpp), then the checks in the order the file
// reads them — status, contains, regex, collection — and the captures for later steps.
#include "protocols/http/multistatus.hpp"
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/http_get.hpp"
#include "scenarios/steps/step.hpp"
#include "transport/http.hpp"

namespace mc::scn {
namespace {

namespace http = proto::http;

// The server's URL may carry a base path ("https://mail.example.test/roundcube/"); the step's
// path goes after it.
std::string target(const Server& server, const std::string& path) {
  const auto scheme_end = server.url.find("://");
  const auto slash = server.url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  std::string base = slash == std::string::npos ? "" : server.url.substr(slash);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + path;
}

Failure expectation(std::string message, const HttpResponse& res) {
  ServerReply reply;
  reply.code = static_cast<int>(res.status);
  // The status line as the server wrote it.
  for (const auto& l : res.transcript)
    if (l.dir == TranscriptLine::Dir::server) {
      reply.text = l.text;
      break;
    }
  return Failure{Reason::expectation, "expect", std::move(message), std::move(reply)};
}

bool has_header(const std::vector<std::string>& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (h.size() <= name.size() || h[name.size()] != ':') continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(h[i])) == name[i];
    if (same) return true;
  }
  return false;
}

std::optional<Failure> check(const HttpKeys& keys, const HttpResponse& res, StepResult& out) {
  const std::string got = std::to_string(res.status);
  // The server refused the account's credentials, as a 535 or a NO would.
  if (keys.basic_auth && res.status == 401 && keys.status != 401) {
    Failure f = expectation("the server refused the account's credentials (status 401)", res);
    f.reason = Reason::auth_failed;
    return f;
  }
  if (keys.status && res.status != *keys.status)
    return expectation("status " + got + ", expected " + std::to_string(*keys.status), res);
  if (!keys.status && res.status >= 400)
    return expectation("status " + got +
                           " (an error; name the status expected in "
                           "\"expect\": { \"status\": N } if it is meant)",
                       res);
  if (keys.contains && res.body.find(*keys.contains) == std::string::npos)
    return expectation("the response (" + std::to_string(res.body.size()) +
                           " bytes) does not contain \"" + *keys.contains + "\"",
                       res);
  if (keys.regex) {
    const auto r = http::regex_search(res.body, *keys.regex);
    if (r.error) return expectation(*r.error, res);
    if (!r.matched)
      return expectation("the response (" + std::to_string(res.body.size()) +
                             " bytes) does not match /" + *keys.regex + "/",
                         res);
  }
  if (keys.collection) {
    const auto m = http::read_multistatus(res.body);
    if (m.error) return expectation("the response is no WebDAV multistatus: " + *m.error, res);
    const auto found = http::resources_of(m, *http::collection_type(*keys.collection));
    nlohmann::json list = nlohmann::json::array();
    std::string text;
    for (const auto* r : found) {
      list.push_back({{"href", r->href}, {"displayname", r->displayname}});
      text += (text.empty() ? "" : ", ") + r->href;
    }
    out.add_detail("collections", list,
                   std::to_string(found.size()) + " " + *keys.collection +
                       (found.size() == 1 ? "" : "s") + (text.empty() ? "" : ": " + text),
                   true);
    if (found.empty())
      return expectation("the multistatus (" + std::to_string(m.responses.size()) +
                             " responses) lists no " + *keys.collection,
                         res);
  }
  return std::nullopt;
}

}  // namespace

boost::asio::awaitable<std::optional<Failure>> run_http_get(StepContext& ctx, StepResult& out) {
  const Step& step = ctx.current();
  const auto& keys = step.as<HttpKeys>();
  const Server& server = ctx.file.servers.at(step.server);
  const Account* account = step.account.empty() ? nullptr : &ctx.file.accounts.at(step.account);

  HttpRequest req;
  req.scheme = server.scheme;
  req.host = server.host;
  req.port = server.port;
  req.target = target(server, keys.path);
  req.method = keys.method;
  req.headers = keys.headers;
  req.body = keys.body;
  req.tls = {server.tls.verify, server.tls.ca_file, server.tls.server_name, server.tls.min_version};
  req.cookies = ctx.shared.http_cookies;
  req.dns = dns_settings(ctx.file);
  req.family = server.ip == '4' ? IpFamily::v4 : server.ip == '6' ? IpFamily::v6 : IpFamily::any;
  req.deadline = ctx.deadline;
  req.live = ctx.live;
  if (keys.basic_auth && account != nullptr) {
    req.user = account->user;
    req.password = account->password;
  }
  if (!keys.form.empty()) {
    std::map<std::string, std::string> values = ctx.shared.http_captures;
    if (account != nullptr) {
      values["user"] = account->user;
      values["password"] = account->password;
    }
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& [name, parts] : keys.form) {
      std::string missing;
      fields.emplace_back(name, http::expand(parts, values, &missing));
      if (!missing.empty())
        co_return Failure{Reason::expectation, "capture",
                          "the form's \"" + name + "\" needs the value captured as \"" + missing +
                              "\", which no earlier step captured",
                          std::nullopt};
    }
    req.body = http::form_encode(fields);
    if (!has_header(req.headers, "content-type"))
      req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  }
  const bool sends_password = keys.basic_auth || keys.form_password;
  if (sends_password && server.scheme == "http") out.plaintext_auth = true;

  HttpResponse res = co_await http_request(std::move(req));
  ctx.record(server, res.outcome, out);
  out.server = server.url;
  // A response came: its cookies are the session's from now on, as a browser keeps them.
  if (res.status != 0) ctx.shared.http_cookies = res.cookies;
  if (res.status != 0) {
    out.add_detail("http_status", res.status, "HTTP " + std::to_string(res.status), true);
    if (!res.http_version.empty()) out.add_detail("http_version", res.http_version, "");
    out.add_detail("bytes", res.bytes, std::to_string(res.bytes) + " bytes");
    if (!res.content_type.empty()) out.add_detail("content_type", res.content_type, "");
    if (!res.redirect.empty())
      out.add_detail("redirect", res.redirect, "redirect to " + res.redirect, true);
  }
  std::optional<Failure> failure = res.outcome.failure;
  if (!failure) failure = check(keys, res, out);
  if (!failure) {
    for (const auto& [name, pattern] : keys.capture) {
      const auto r = http::regex_search(res.body, pattern);
      if (r.error || !r.matched) {
        failure = Failure{Reason::expectation, "capture",
                          r.error ? *r.error
                                  : "nothing in the response (" + std::to_string(res.body.size()) +
                                        " bytes) matches capture \"" + name + "\"",
                          std::nullopt};
        break;
      }
      // Captured values are a page's tokens: kept for the next steps, never reported.
      ctx.shared.http_captures[name] = http::html_unescape(r.capture);
    }
  }
  if (failure) out.transcript = std::move(res.transcript);
  co_return failure;
}

}  // namespace mc::scn
