#include "scenarios/steps/mx_route.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "protocols/smtp.hpp"
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/servers.hpp"
#include "scenarios/steps/smtp_send.hpp"
#include "scenarios/steps/step.hpp"
#include "transport/dns.hpp"

namespace mc::scn {

bool valid_domain_name(const std::string& d) {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.find("..") != std::string::npos)
    return false;
  std::size_t label = 0;
  for (char c : d) {
    if (c == '.') {
      label = 0;
      continue;
    }
    if (++label > 63) return false;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string host_key(std::string host) {
  for (char& c : host)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (!host.empty() && host.back() == '.') host.pop_back();
  return host;
}

bool is_mx_route(const std::string& server) {
  return server.rfind("mx:", 0) == 0;
}

std::optional<MxRoute> parse_mx_route(const std::string& server, std::string* error) {
  static const std::string kLike = "write \"mx:example.net\" or \"mx:example.net:2525\"";
  std::string rest = server.substr(3);
  MxRoute r;
  if (const auto colon = rest.find(':'); colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    rest.resize(colon);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stol(port) < 1 ||
        std::stol(port) > 65535) {
      if (error) *error = "\"" + printable(port) + "\" is not a port (1 to 65535); " + kLike;
      return std::nullopt;
    }
    r.port = static_cast<std::uint16_t>(std::stol(port));
  }
  if (!valid_domain_name(rest)) {
    if (error)
      *error = "\"" + printable(rest) + "\" is not a domain name whose MX hosts take the probe; " +
               kLike;
    return std::nullopt;
  }
  r.domain = host_key(rest);
  return r;
}

std::vector<proto::dns::Mx> delivery_order(std::vector<proto::dns::Mx> mx, std::mt19937& rng) {
  std::stable_sort(mx.begin(), mx.end(),
                   [](const auto& a, const auto& b) { return a.preference < b.preference; });
  for (auto first = mx.begin(); first != mx.end();) {
    auto last = std::find_if(first, mx.end(),
                             [&](const auto& m) { return m.preference != first->preference; });
    std::shuffle(first, last, rng);
    first = last;
  }
  return mx;
}

bool is_null_mx(const std::vector<proto::dns::Mx>& mx) {
  return mx.size() == 1 && (mx[0].host.empty() || mx[0].host == ".");
}

std::optional<Failure> mx_lookup_failure(const std::string& domain, const proto::dns::Answer& a,
                                         bool deadline_passed, bool implicit_ok) {
  using proto::dns::Status;
  auto fail = [](Reason r, std::string message) {
    return Failure{r, "resolve", std::move(message), std::nullopt};
  };
  switch (a.status) {
    case Status::ok:
      if (is_null_mx(a.mx))
        return fail(Reason::dns,
                    domain + " accepts no mail: its MX is the null MX \".\" (RFC 7505)");
      return std::nullopt;
    case Status::nodata:
      if (implicit_ok) return std::nullopt;
      return fail(Reason::dns, domain +
                                   " has no MX records (the name exists); senders fall back on "
                                   "its A/AAAA records, if any");
    case Status::nxdomain:
      return fail(Reason::dns, domain + " does not exist (NXDOMAIN)");
    case Status::timeout:
      if (deadline_passed)
        return fail(Reason::timeout,
                    "no answer to the MX query of " + domain + " before the deadline");
      return fail(Reason::dns, "no answer to the MX query of " + domain + ": " + a.error);
    default:
      return fail(Reason::dns, "the MX query of " + domain + " failed: " + a.error);
  }
}

void check_mx_route(StepInput& in, const Step& s) {
  std::string error;
  if (!parse_mx_route(s.server, &error)) in.problem(in.where() + ".server", error);
  if (!s.account.empty())
    in.problem(in.where() + ".account",
               "smtp.send to \"" + printable(s.server) +
                   "\" delivers as an MTA does, without AUTH; remove \"account\" (give \"from\" "
                   "and \"to\"), or name a submission server instead");
}

namespace {

// One try of one address of one MX host.
struct Attempt {
  std::string mx;
  std::uint16_t preference = 0;
  std::string address;
  std::optional<Failure> failure;
  std::vector<PhaseResult> phases;
};

// Whether the next address may take the probe after this failure: a 5xx reply is the
// domain's answer and final; anything on the way (connect, TLS, a timeout, a 4xx) is not.
bool falls_back(const Failure& f) {
  if (f.reply && f.reply->code >= 500 && f.reply->code < 600) return false;
  return true;
}

nlohmann::json attempt_json(const Attempt& a) {
  nlohmann::json phases = nlohmann::json::array();
  for (const auto& p : a.phases)
    phases.push_back({{"phase", p.name}, {"start_s", p.start_s}, {"duration_s", p.duration_s}});
  nlohmann::json j = {
      {"mx", a.mx},
      {"preference", a.preference},
      {"address", a.address},
      {"outcome", a.failure ? std::string(to_string(a.failure->reason)) : "accepted"},
      {"phases", phases}};
  if (a.failure) j["message"] = a.failure->message;
  if (a.failure && a.failure->reply) {
    const auto& r = *a.failure->reply;
    j["reply"] = {
        {"code", r.code != 0 ? nlohmann::json(r.code) : nlohmann::json(nullptr)},
        {"enhanced", r.enhanced.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.enhanced)},
        {"text", r.text}};
  }
  return j;
}

std::string attempt_text(const Attempt& a) {
  return a.mx + " " + a.address + " " +
         (a.failure ? std::string(to_string(a.failure->reason)) : std::string("accepted"));
}

}  // namespace

boost::asio::awaitable<std::optional<Failure>> send_via_mx(StepContext& ctx, StepResult& out,
                                                           const SendKeys& keys) {
  const Step& step = ctx.current();
  std::string ignored;
  const MxRoute route = *parse_mx_route(step.server, &ignored);
  const DnsSettings dns = dns_settings(ctx.file);
  out.server = step.server;

  const auto begin = ctx.clock.now();
  const auto answer = co_await dns_query(dns, route.domain, proto::dns::Type::mx, ctx.deadline);
  std::vector<proto::dns::Mx> hosts;
  if (auto f = mx_lookup_failure(route.domain, answer, ctx.clock.now() >= ctx.deadline, true)) {
    out.phases.push_back(
        {"resolve", ctx.timeline.offset_s(begin), Stopwatch::seconds(ctx.clock.now() - begin)});
    co_return f;
  }
  if (answer.status == proto::dns::Status::ok) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    hosts = delivery_order(answer.mx, rng);
  } else {
    hosts.push_back({0, route.domain});  // no MX: the domain is its own (RFC 5321 section 5.1)
  }

  // Every address of every host, in order; a host whose name does not resolve is an attempt
  // that failed in phase resolve.
  std::vector<Attempt> attempts;
  std::vector<std::pair<Attempt, bool>> plan;  // the attempt to make, and whether to connect
  for (const auto& h : hosts) {
    const auto addresses = co_await dns_host(dns, h.host, IpFamily::any, ctx.deadline);
    if (addresses.status != proto::dns::Status::ok) {
      Attempt a{h.host,
                h.preference,
                "",
                Failure{Reason::dns, "resolve",
                        "cannot resolve MX host " + h.host + ": " + addresses.error, std::nullopt},
                {}};
      plan.emplace_back(std::move(a), false);
      continue;
    }
    for (const auto& ip : addresses.addresses)
      plan.emplace_back(Attempt{h.host, h.preference, ip, {}, {}}, true);
  }
  out.phases.push_back(
      {"resolve", ctx.timeline.offset_s(begin), Stopwatch::seconds(ctx.clock.now() - begin)});

  std::optional<Failure> last;
  bool delivered = false;
  std::size_t connectable = 0;
  for (const auto& [a, connect] : plan) connectable += connect ? 1 : 0;
  for (auto& [a, connect] : plan) {
    if (!connect) {
      last = a.failure;
      attempts.push_back(std::move(a));
      continue;
    }
    --connectable;
    const auto now = ctx.clock.now();
    if (now >= ctx.deadline) break;
    // An attempt with others after it gets half the time left, so that a host that never
    // answers leaves time for the next.
    const auto until = connectable > 0 ? now + (ctx.deadline - now) / 2 : ctx.deadline;

    Server server;
    server.name = a.mx;
    server.scheme = "smtp";
    server.host = a.address;
    server.port = route.port;
    server.url = "smtp://" +
                 (a.address.find(':') != std::string::npos ? "[" + a.address + "]" : a.address) +
                 ":" + std::to_string(route.port);
    server.starttls = StartTls::optional;
    // Opportunistic TLS as between MTAs: the certificate is checked only when the file's
    // defaults.tls says against what (a ca_file), else taken as it is.
    if (ctx.file.default_tls && !ctx.file.default_tls->ca_file.empty()) {
      server.tls = *ctx.file.default_tls;
    } else {
      server.tls.verify = false;
    }
    if (server.tls.server_name.empty()) server.tls.server_name = a.mx;

    proto::smtp::Config c;
    c.ehlo_name = keys.ehlo.empty() ? local_host_name() : keys.ehlo;
    c.starttls = StartTls::optional;
    c.mail_from = keys.from;
    c.rcpt_to = keys.to;
    // As an MTA does, a refused attempt ends with QUIT before the next MX is tried.
    c.quit_after_refusal = true;
    c.message = build_probe_message(keys, ctx.scenario.name, ctx.token, ctx.clock.wall_now());
    proto::smtp::Client client(std::move(c));
    auto connection = ctx.transport.connect(ctx.session_options(server, until));
    auto o = co_await connection->run(client, until);
    connection->close();
    StepResult one;
    ctx.record(server, o, one);
    a.phases = one.phases;
    a.failure = o.failure;
    if (o.failure) {
      last = o.failure;
      const bool again = falls_back(*o.failure);
      out.transcript = client.transcript().lines();  // the last failed attempt's
      attempts.push_back(a);
      if (!again) break;
      continue;
    }
    // Taken: the step reports this connection as its own.
    out.transcript.clear();
    out.address = one.address;
    out.tls = one.tls;
    // Its resolve phase is empty (an address) and would repeat the step's own.
    for (const auto& p : one.phases)
      if (p.name != "resolve") out.phases.push_back(p);
    if (const auto& id = client.outcome().queue_id)
      out.add_detail("queue_id", *id, "queue id " + *id, /*summary=*/true);
    ctx.shared.queued = StepContext::phase_end(o, "message");
    if (ctx.shared.queued) {
      ctx.result.queued_at = ctx.timeline.wall_at(*ctx.shared.queued);
      if (ctx.probe_accepted) ctx.probe_accepted();
    }
    attempts.push_back(a);
    out.add_detail("mx_host", a.mx, "delivered to MX " + a.mx + " (" + a.address + ")",
                   /*summary=*/true);
    delivered = true;
    break;
  }

  nlohmann::json list = nlohmann::json::array();
  std::string text;
  for (const auto& a : attempts) {
    list.push_back(attempt_json(a));
    text += (text.empty() ? "" : "; ") + attempt_text(a);
  }
  out.add_detail("mx_attempts", list, "attempts: " + text, /*summary=*/attempts.size() > 1);
  if (delivered) co_return std::nullopt;
  if (!last)
    co_return Failure{Reason::timeout, "resolve",
                      "the deadline came before any MX host of " + route.domain + " was tried",
                      std::nullopt};
  Failure f = *last;
  if (attempts.size() > 1)
    f.message = "no MX host of " + route.domain + " took the probe (" +
                std::to_string(attempts.size()) + " attempts); the last: " + f.message;
  co_return f;
}

}  // namespace mc::scn
