#include "scenarios/steps/smtp_policy.hpp"

#include <algorithm>
#include <cstdio>

#include "scenarios/steps/context.hpp"
#include "scenarios/steps/servers.hpp"

namespace mc::scn {
namespace {

using proto::smtp::Stage;

// A greylisting server that keeps deferring is not waited for beyond this many retries.
constexpr int kMaxGreylistRetries = 5;
// A delay the server names below this is taken as this: no reconnect storm.
constexpr std::chrono::seconds kMinGreylistDelay{1};

std::string stage_names() {
  std::string out;
  for (const auto& [stage, name] : proto::smtp::kStageNames)
    out += (out.empty() ? "\"" : ", \"") + std::string(name) + "\"";
  return out;
}

// "554 5.7.1 Relay access denied", the first line of the text only.
std::string describe(const ServerReply& r) {
  std::string out = std::to_string(r.code);
  if (!r.enhanced.empty()) out += " " + r.enhanced;
  const std::string first = r.text.substr(0, r.text.find('\n'));
  if (!first.empty()) out += " " + first;
  return out;
}

nlohmann::json reply_json(const std::string& stage, const std::string& phase,
                          const std::optional<ServerReply>& r) {
  nlohmann::json j = {{"stage", stage}, {"phase", phase}};
  if (r) {
    j["code"] = r->code;
    j["enhanced"] = r->enhanced;
    j["text"] = r->text;
  }
  return j;
}

std::string stage_text(const RefusalExpectation& want) {
  std::string out =
      want.stage == Stage::any
          ? "a refusal"
          : "a refusal at " + std::string(name_of(proto::smtp::kStageNames, want.stage));
  if (want.code) out += " (code " + want.code->text + ")";
  return out;
}

const char* phase_of(Stage s) {
  switch (s) {
    case Stage::connect:
      return "banner";
    case Stage::ehlo:
      return "ehlo";
    case Stage::auth:
      return "auth";
    case Stage::mail:
      return "mail_from";
    case Stage::any:
    case Stage::rcpt:
      return "rcpt_to";
    case Stage::data:
      return "data";
    case Stage::message:
      return "message";
  }
  return "rcpt_to";
}

const ServerReply* last_accepted(const proto::smtp::Outcome& o, std::string_view phase) {
  for (auto it = o.accepted.rbegin(); it != o.accepted.rend(); ++it)
    if (it->first == phase) return &it->second;
  return nullptr;
}

void load_expect(StepInput& in, const Step& s, SendPolicy& policy) {
  const std::string at = in.where() + ".expect";
  const std::string shape =
      "must be \"reject\" or an object like { \"reject\": \"rcpt\", \"code\": \"5.7.*\" }";
  RefusalExpectation want;
  bool ok = true;
  const auto bad = [&](const std::string& where, const std::string& message) {
    in.problem(where, message);
    ok = false;
  };
  if (in.is_object("expect")) {
    auto o = in.object("expect", {"reject", "code"});
    if (!o) return;
    if (auto v = o->string("reject")) {
      if (auto stage = value_named(proto::smtp::kStageNames, *v))
        want.stage = *stage;
      else
        bad(at + ".reject",
            "\"" + printable(*v) + "\" is not a stage; stages are " + stage_names());
    } else if (!o->has("reject")) {
      bad(at, "needs \"reject\", the stage where the server must refuse, one of " + stage_names() +
                  " (what the delivered probe must carry is imap.wait's \"expect\")");
    } else {
      ok = false;  // the getter placed the problem
    }
    if (auto v = o->string("code")) {
      std::string problem;
      want.code = proto::smtp::parse_code_pattern(*v, problem);
      if (!want.code)
        bad(at + ".code", "\"" + printable(*v) + "\" is not a code pattern: " + problem);
    } else if (o->has("code")) {
      ok = false;
    }
  } else if (auto v = in.string("expect")) {
    if (*v != "reject") {
      in.problem(at, shape);
      return;
    }
  } else {
    return;  // the getter placed the problem
  }
  if (want.stage == Stage::auth && s.account.empty())
    bad(at,
        "expects a refusal of AUTH, but the step has no \"account\", so it sends no "
        "AUTH; add the account to log in with, or name another stage");
  if (ok) policy.reject = want;
}

}  // namespace

void load_policy(StepInput& in, const Step& s, SendPolicy& policy) {
  if (in.has("expect")) load_expect(in, s, policy);
  if (auto v = in.string("greylist")) {
    if (*v == "retry")
      policy.greylist_retry = true;
    else if (*v != "fail")
      in.problem(in.where() + ".greylist",
                 "must be \"retry\" (wait out a greylisting and send again) or \"fail\" (the "
                 "default: a greylisting fails the step with the server's reply)");
  }
  if (auto d = in.duration("greylist_delay")) {
    policy.greylist_delay = *d;
    const auto bound = s.timeout ? s.timeout : in.scenario_timeout();
    if (!policy.greylist_retry && !in.has("greylist"))
      in.problem(in.where() + ".greylist_delay",
                 "is used only with \"greylist\": \"retry\"; add that, or remove the delay");
    else if (bound && *d >= *bound)
      in.problem(in.where() + ".greylist_delay",
                 "the greylisting delay " + format_duration(*d) + " is not shorter than the " +
                     (s.timeout ? "step" : "scenario") + " timeout " + format_duration(*bound) +
                     ", so a retry could never come; shorten the delay or lengthen the timeout");
  }
}

void configure(const SendPolicy& policy, proto::smtp::Config& c) {
  using Hold = proto::smtp::Config::Hold;
  if (policy.reject) {
    const Stage s = policy.reject->stage;
    c.hold = s == Stage::message ? Hold::none
             : s == Stage::data  ? Hold::before_message
                                 : Hold::before_data;
  }
  c.quit_after_refusal = policy.reject.has_value() || policy.greylist_retry;
}

boost::asio::awaitable<SendAttempt> send_probe(StepContext& ctx, StepResult& out,
                                               const Server& server, const SendPolicy& policy,
                                               const proto::smtp::Config& c) {
  int greylisted = 0;
  Mono::duration waited{};
  SendAttempt a;
  for (;;) {
    proto::smtp::Client client(c);
    auto connection = ctx.transport.connect(ctx.session_options(server, ctx.deadline));
    a.session = co_await connection->run(client, ctx.deadline);
    connection->close();  // QUIT was the machine's last word
    ctx.record(server, a.session, out);
    a.smtp = client.outcome();
    a.transcript = client.transcript().lines();
    a.failure = a.smtp.refusal ? a.smtp.refusal : a.session.failure;
    if (!policy.greylist_retry || !a.failure || a.failure->phase != "rcpt_to" || !a.failure->reply)
      break;
    const auto grey = proto::smtp::greylisting(*a.failure->reply);
    if (!grey) break;
    if (greylisted == kMaxGreylistRetries) {
      a.failure->message +=
          "; greylisted " + std::to_string(greylisted + 1) + " times in a row, no more retries";
      break;
    }
    const Mono::duration delay = grey->delay
                                     ? Mono::duration(std::max(*grey->delay, kMinGreylistDelay))
                                     : Mono::duration(policy.greylist_delay);
    const auto begin = ctx.clock.now();
    if (begin + delay >= ctx.deadline) {
      a.failure->message +=
          "; greylisted, and the retry after " +
          format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(delay)) +
          " would come after the step's deadline (" +
          format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(
              std::max(ctx.deadline - begin, Mono::duration::zero()))) +
          " left)";
      break;
    }
    co_await ctx.clock.sleep_until(begin + delay);
    const auto end = ctx.clock.now();
    out.phases.push_back(
        {"greylist_wait", ctx.timeline.offset_s(begin), Stopwatch::seconds(end - begin)});
    waited += end - begin;
    ++greylisted;
  }
  if (greylisted > 0) {
    const double s = Stopwatch::seconds(waited);
    char text[96];
    std::snprintf(text, sizeof text, "greylisted %d time%s, waited %.3g s", greylisted,
                  greylisted == 1 ? "" : "s", s);
    out.add_detail("greylisted", {{"times", greylisted}, {"waited_s", s}}, text,
                   /*summary=*/true);
  }
  co_return a;
}

std::optional<Failure> judge_refusal(const RefusalExpectation& want, const SendAttempt& a,
                                     StepResult& out) {
  const auto& f = a.failure;
  if (!f) {
    // Accepted: held before DATA, dropped after DATA's 354, or the message itself queued.
    const std::string at = a.smtp.held_at.empty() ? "message" : a.smtp.held_at;
    std::optional<ServerReply> last;
    if (at == "message")
      last = a.smtp.final_reply;
    else if (const ServerReply* r = last_accepted(a.smtp, at))
      last = *r;
    std::string what;
    if (want.stage != Stage::any && want.stage != Stage::rcpt && phase_of(want.stage) != at)
      if (const ServerReply* r = last_accepted(a.smtp, phase_of(want.stage)))
        what = std::string(name_of(proto::smtp::kStageNames, want.stage)) + " (" + describe(*r) +
               ") and ";
    if (at == "rcpt_to")
      what += "RCPT TO" + (last ? " (" + describe(*last) + ")" : "") +
              "; the transaction was reset with RSET and nothing was sent";
    else if (at == "data")
      what += "DATA" + (last ? " (" + describe(*last) + ")" : "") +
              "; the connection was dropped before the message, nothing was sent";
    else
      what += "the message" + (last ? " (" + describe(*last) + ")" : "") +
              (a.smtp.queue_id ? "; it is queued as " + *a.smtp.queue_id : "");
    const std::string stage = at == "message" ? "message" : at == "data" ? "data" : "rcpt";
    out.add_detail("accepted", reply_json(stage, at, last), "accepted " + what,
                   /*summary=*/true);
    if (a.smtp.queue_id)
      out.add_detail("queue_id", *a.smtp.queue_id, "queue id " + *a.smtp.queue_id, true);
    return Failure{Reason::accepted, at,
                   "expected " + stage_text(want) + ", but the server accepted " + what, last};
  }
  const bool no_mechanism = f->reason == Reason::auth_failed && f->phase == "auth" && !f->reply;
  const bool refusal = (f->reason == Reason::rejected || f->reason == Reason::auth_failed) &&
                       (no_mechanism || (f->reply && f->reply->code >= 400));
  if (!refusal) return f;
  const std::optional<Stage> stage = proto::smtp::stage_of_phase(f->phase);
  if (!stage) return f;
  const std::string stage_name(name_of(proto::smtp::kStageNames, *stage));
  const bool stage_ok = want.stage == Stage::any || *stage == want.stage;
  const bool code_ok = want.code ? f->reply && proto::smtp::matches(*want.code, *f->reply)
                                 : !f->reply || f->reply->code >= 500;
  const std::string said = f->reply ? describe(*f->reply) : "AUTH not offered";
  if (stage_ok && code_ok) {
    out.add_detail("refused", reply_json(stage_name, f->phase, f->reply),
                   "refused at " + stage_name + " as expected: " + said, /*summary=*/true);
    return std::nullopt;
  }
  Failure bad = *f;
  if (!stage_ok)
    bad.message = "expected " + stage_text(want) + ", but the server refused at " + stage_name +
                  " instead: " + said;
  else if (!want.code)
    bad.message = "expected " + stage_text(want) + ", but the server only deferred at " +
                  stage_name + " (" + said +
                  "): a temporary failure is no refusal; give \"code\": \"4??\" if one is meant";
  else
    bad.message = "the server refused at " + stage_name + ", but with " + said +
                  ", not the expected " + want.code->text;
  return bad;
}

}  // namespace mc::scn
