#include "scenarios/steps/dnsbl_lookup.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace mc::scn {
namespace {

namespace asio = boost::asio;
using proto::dns::Answer;
using proto::dns::Type;

// Runs job(0) ... job(n-1), at most `width` at a time, and returns when all are done. A job
// that throws counts as done: its result keeps what it had (an unknown answer).
asio::awaitable<void> run_all(std::size_t n, std::size_t width,
                              std::function<asio::awaitable<void>(std::size_t)> job) {
  if (n == 0) co_return;
  struct Shared {
    explicit Shared(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    std::size_t next = 0;
    std::size_t running = 0;
  };
  const auto ex = co_await asio::this_coro::executor;
  auto shared = std::make_shared<Shared>(ex);
  const std::size_t workers = std::min(n, width);
  shared->running = workers;
  for (std::size_t w = 0; w < workers; ++w)
    asio::co_spawn(
        ex,
        [shared, n, job]() -> asio::awaitable<void> {
          while (shared->next < n) {
            const std::size_t i = shared->next++;
            try {
              co_await job(i);
            } catch (const std::exception&) {
            }
          }
          if (--shared->running == 0) shared->timer.cancel();
        },
        asio::detached);
  while (shared->running > 0) {
    boost::system::error_code ignored;
    shared->timer.expires_at(Mono::time_point::max());
    co_await shared->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

std::string status_text(const Answer& a) {
  switch (a.status) {
    case proto::dns::Status::ok:
      return "no address";
    case proto::dns::Status::nodata:
      return "no address (NODATA)";
    case proto::dns::Status::nxdomain:
      return "NXDOMAIN";
    case proto::dns::Status::servfail:
      return "SERVFAIL";
    case proto::dns::Status::refused:
      return "REFUSED";
    case proto::dns::Status::timeout:
      return "no answer in time";
    case proto::dns::Status::error:
      break;
  }
  return a.error.empty() ? "no answer" : a.error;
}

}  // namespace

asio::awaitable<std::vector<DnsblAnswer>> look_up(const std::vector<DnsblTarget>& targets,
                                                  const std::vector<std::string>& zones,
                                                  const std::vector<std::string>& domain_zones,
                                                  const DnsQuery& query,
                                                  Mono::time_point deadline) {
  std::vector<DnsblAnswer> answers;
  for (const auto& t : targets)
    for (const auto& z : t.domain ? domain_zones : zones) {
      DnsblAnswer a{t, z, "", {}, ""};
      auto q =
          t.domain ? proto::dns::domain_query(t.name, z) : proto::dns::address_query(t.name, z);
      if (q)
        a.query = *q;
      else
        a.classified.why = "no query name for " + t.name + " in " + z + " (too long)";
      answers.push_back(std::move(a));
    }
  co_await run_all(answers.size(), kMaxInFlight, [&](std::size_t i) -> asio::awaitable<void> {
    auto& a = answers[i];
    if (a.query.empty()) co_return;
    const Answer answer = co_await query(a.query, Type::a, deadline);
    a.classified = proto::dns::classify(a.zone, answer);
    if (a.classified.verdict != proto::dns::Verdict::listed) co_return;
    const Answer txt = co_await query(a.query, Type::txt, deadline);
    a.reason = proto::dns::listing_reason(txt);
  });
  co_return answers;
}

asio::awaitable<MxTargets> mx_targets(const std::string& domain, const DnsQuery& query,
                                      Mono::time_point deadline) {
  MxTargets out;
  const Answer mx = co_await query(domain, Type::mx, deadline);
  std::vector<std::string> hosts;
  if (mx.status == proto::dns::Status::ok) {
    auto records = mx.mx;  // in preference order, as a sender would try them
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& a, const auto& b) { return a.preference < b.preference; });
    for (const auto& m : records)
      if (!m.host.empty() && m.host != "." &&
          std::find(hosts.begin(), hosts.end(), m.host) == hosts.end())
        hosts.push_back(m.host);
    if (hosts.empty()) out.problems.push_back("MX of " + domain + ": a null MX (no mail taken)");
  } else if (mx.status == proto::dns::Status::nxdomain || mx.status == proto::dns::Status::nodata) {
    hosts.push_back(domain);  // no MX: the domain itself takes the mail
  } else {
    out.problems.push_back("MX of " + domain + ": " + status_text(mx));
  }
  struct HostAnswer {
    std::string host;
    Type type;
    Answer answer;
  };
  std::vector<HostAnswer> asked;
  for (const auto& h : hosts) {
    asked.push_back({h, Type::a, {}});
    asked.push_back({h, Type::aaaa, {}});
  }
  co_await run_all(asked.size(), kMaxInFlight, [&](std::size_t i) -> asio::awaitable<void> {
    asked[i].answer = co_await query(asked[i].host, asked[i].type, deadline);
  });
  for (const auto& h : hosts) {
    bool any = false;
    std::vector<std::string> failed;
    for (const auto& a : asked) {
      if (a.host != h) continue;
      if (a.answer.status == proto::dns::Status::ok) {
        for (const auto& addr : a.answer.addresses) {
          const auto canonical = proto::dns::canonical_address(addr);
          if (!canonical) continue;
          any = true;
          const bool seen = std::any_of(out.targets.begin(), out.targets.end(),
                                        [&](const DnsblTarget& t) { return t.name == *canonical; });
          if (!seen) out.targets.push_back({*canonical, false, false, "MX " + h});
        }
      } else if (a.answer.status != proto::dns::Status::nodata) {
        failed.push_back(std::string(a.type == Type::a ? "A" : "AAAA") + " " +
                         status_text(a.answer));
      }
    }
    if (!failed.empty() || !any) {
      std::string text = "addresses of " + h + ": ";
      for (std::size_t i = 0; i < failed.size(); ++i) text += (i ? ", " : "") + failed[i];
      if (failed.empty()) text += "none";
      out.problems.push_back(text);
    }
  }
  co_return out;
}

}  // namespace mc::scn
