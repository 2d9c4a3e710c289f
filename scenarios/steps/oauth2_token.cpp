#include "scenarios/steps/oauth2_token.hpp"

#include <set>

#include "protocols/oauth2/token.hpp"
#include "scenarios/steps/oauth2_cache.hpp"
#include "transport/http.hpp"

namespace mc::scn {
namespace {

namespace oauth2 = proto::oauth2;

Failure token_failure(const std::string& url, const std::string& why) {
  return Failure{Reason::auth_failed, "oauth2_token",
                 "no OAuth 2.0 access token from " + without_query_values(url) + ": " + why,
                 std::nullopt};
}

boost::asio::awaitable<std::optional<Failure>> obtain(StepContext& ctx, const Account& a) {
  const Account::Grant& g = *a.grant;
  const TokenCache cache(ctx.state_dir, g.token_url + "\n" + g.client_id + "\n" + g.scope + "\n" +
                                            g.refresh_token_file + "\n" + a.user);
  if (auto cached = cache.get(ctx.clock.wall_now())) {
    ctx.oauth2_tokens[a.name] = *cached;
    co_return std::nullopt;
  }
  Server endpoint;
  if (auto err = parse_server_url(g.token_url, endpoint))
    co_return token_failure(g.token_url, *err);
  HttpRequest req;
  req.scheme = endpoint.scheme;
  req.host = endpoint.host;
  req.port = endpoint.port;
  const auto path = g.token_url.find('/', g.token_url.find("://") + 3);
  req.target = path == std::string::npos ? "/" : g.token_url.substr(path);
  req.method = "POST";
  req.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
  req.body = oauth2::request_body({g.client_id, g.client_secret, g.refresh_token, g.scope});
  req.tls.verify = true;
  req.tls.ca_file = g.ca_file;
  req.dns = dns_settings(ctx.file);
  req.deadline = ctx.deadline;
  // No live transcript: the request carries the client secret and the refresh token, the
  // response the access token.
  const HttpResponse res = co_await http_request(std::move(req));
  if (res.outcome.failure)
    co_return token_failure(g.token_url, std::string(to_string(res.outcome.failure->reason)) +
                                             " in " + res.outcome.failure->phase + ": " +
                                             res.outcome.failure->message);
  const oauth2::Response r = oauth2::parse_response(static_cast<int>(res.status), res.body);
  if (!r.token) co_return token_failure(g.token_url, r.problem);
  ctx.oauth2_tokens[a.name] = r.token->access_token;
  if (auto err = cache.put(r.token->access_token, r.token->expires_in, ctx.clock.wall_now()))
    ctx.warnings.push_back("account " + a.name + ": the OAuth 2.0 token is not cached (" + *err +
                           "); the next run asks the endpoint again");
  co_return std::nullopt;
}

}  // namespace

boost::asio::awaitable<std::optional<TokenFailure>> obtain_oauth2_tokens(StepContext& ctx) {
  std::set<std::string> done;
  for (std::size_t i = 0; i < ctx.scenario.steps.size(); ++i) {
    const std::string& name = ctx.scenario.steps[i].account;
    if (name.empty() || done.count(name)) continue;
    done.insert(name);
    const Account& a = ctx.file.accounts.at(name);
    if (!a.grant) continue;
    if (auto f = co_await obtain(ctx, a)) co_return TokenFailure{i, std::move(*f)};
  }
  co_return std::nullopt;
}

}  // namespace mc::scn
