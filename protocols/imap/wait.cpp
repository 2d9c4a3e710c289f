#include <algorithm>
#include <utility>

#include "protocols/imap/tasks.hpp"
#include "protocols/imap/text.hpp"

namespace mc::proto::imap {

using namespace detail;

Wait::Wait(Link& link, WaitConfig cfg)
    : Task(link, Needs::authenticated, "select"), cfg_(std::move(cfg)), finder_(cfg_.token) {}

Action Wait::begin() {
  // An empty token would match every probe message ever sent.
  if (cfg_.token.empty()) return fail(Reason::internal, "no probe token to search for");
  if (cfg_.watch_junk) return list();
  cmd_ = Cmd::select;
  return select(cfg_.mailbox, "select");
}

Action Wait::completed(const Response&) {
  outcome_.uidvalidity = link().uidvalidity;
  switch (std::exchange(cmd_, Cmd::none)) {
    case Cmd::list:
      return after_list();
    case Cmd::select:
      return after_select();
    case Cmd::notify:
      return after_notify();
    case Cmd::status:
      return after_status();
    case Cmd::examine_junk:
      return after_examine();
    case Cmd::reselect:
      in_junk_ = false;
      if (opening_) return after_select();  // Junk's baseline taken: now the watch begins
      // Mail that came to Junk after its search, while the SELECT was on its way, was told of
      // as Junk's EXISTS, not as a NOTIFY: its UIDNEXT says so.
      return outcome_.junk.empty() ? search(round_) : status(StatusFrom::reselect);
    case Cmd::search:
      return after_search();
    case Cmd::fetch:
      return after_fetch();
    case Cmd::reports:
      return after_reports();
    case Cmd::idle: {
      const bool woken = exists_seen_;
      // News in the watched mailbox first; Junk's waits for the round after that search.
      if (junk_news_ && !woken) {
        // NOTIFY told of news in Junk: the end of this IDLE is when the server told of it.
        Action a = check_junk(outcome_.junk_notify ? "idle" : "poll");
        after_idle_exists_ = outcome_.junk_notify;
        return a;
      }
      // Without NOTIFY, the IDLE is cut every poll_interval for a STATUS of Junk (and the
      // watched mailbox searched once per renewal time, as a plain IDLE's renewal does).
      if (!woken && status_polls()) {
        status_idled_ += std::min(cfg_.poll_interval, cfg_.idle_renewal);
        if (status_idled_ < cfg_.idle_renewal) return status(StatusFrom::idle);
      }
      status_idled_ = std::chrono::milliseconds(0);
      // A renewal (no EXISTS) searches too: it costs one round trip in 28 minutes, and it finds
      // a message whose EXISTS the server never sent.
      Action a = search(woken ? "idle" : "poll");
      after_idle_exists_ = woken;
      return a;
    }
    case Cmd::noop:
      if (status_polls()) return status(StatusFrom::poll);
      return search("poll");
    case Cmd::none:
      break;
  }
  return fail(Reason::internal, "completion of no command");
}

std::optional<Action> Wait::data(const Response& r) {
  outcome_.uidvalidity = link().uidvalidity;
  if (r.status == "SEARCH" && cmd_ == Cmd::search && !finder_.take_search(r)) {
    return fail(Reason::protocol, "malformed SEARCH data", &r);
  }
  if (r.status == "FETCH" && cmd_ == Cmd::fetch && !finder_.take_fetch(r, link().transcript)) {
    return fail(Reason::protocol, "malformed FETCH response", &r);
  }
  if (r.status == "FETCH" && cmd_ == Cmd::reports && !finder_.take_report(r, link().transcript)) {
    return fail(Reason::protocol, "malformed FETCH response", &r);
  }
  if (take_junk_data(r) && junk_news_ && cmd_ == Cmd::idle && idling_) return end_idle();
  if (r.status == "EXISTS" && cmd_ != Cmd::select && cmd_ != Cmd::examine_junk &&
      cmd_ != Cmd::reselect) {
    // New mail in Junk, while it is selected, is for the next look into it.
    if (in_junk_) {
      junk_news_ = true;
      return std::nullopt;
    }
    // New mail: search at once, also when it came with the answer to a search that may have
    // been too early for it. Before "+ idling" the DONE waits for it.
    exists_seen_ = true;
    if (cmd_ == Cmd::idle && idling_) return end_idle();
  }
  return std::nullopt;  // flag updates, keep-alives and the like
}

Action Wait::refused(const Response& r) {
  const Cmd cmd = std::exchange(cmd_, Cmd::none);
  if (cmd == Cmd::list) {
    // Without the list, only the file's own name for Junk can be watched.
    link().transcript.note("the server refused LIST; " +
                           (cfg_.junk_mailbox.empty() ? std::string("no Junk mailbox is watched")
                                                      : "watching " + cfg_.junk_mailbox));
    listed_.clear();
    return after_list();
  }
  if (cmd == Cmd::notify) {
    link().transcript.note("the server refused NOTIFY; Junk is looked at with STATUS every " +
                           std::to_string(cfg_.poll_interval.count()) + " ms");
    return status(StatusFrom::start);
  }
  if (cmd == Cmd::status || cmd == Cmd::examine_junk) return junk_refused(r);
  if (cmd == Cmd::noop) {
    // NOOP is only a nudge for servers that report new mail late; one that refuses it is
    // polled without.
    noop_refused_ = true;
    link().transcript.note("the server refused NOOP; polling without it");
    return search("poll");
  }
  if (cmd != Cmd::idle) return Task::refused(r);
  // A server that lists IDLE but will not do it here: poll instead.
  idle_refused_ = true;
  link().transcript.note("the server refused IDLE; polling every " +
                         std::to_string(cfg_.poll_interval.count()) + " ms instead");
  return next_round();
}

std::optional<Action> Wait::continued(const Response& r) {
  if (cmd_ != Cmd::idle || idling_) return Task::continued(r);
  idling_ = true;
  if (exists_seen_ || junk_news_) return end_idle();
  return listen(
      "idle", status_polls() ? std::min(cfg_.poll_interval, cfg_.idle_renewal) : cfg_.idle_renewal);
}

Action Wait::waited() {
  if (cmd_ == Cmd::idle) return end_idle();  // the renewal is due
  if (noop_refused_) return status_polls() ? status(StatusFrom::poll) : search("poll");
  cmd_ = Cmd::noop;
  return send("search", command().word("NOOP").finish());
}

Action Wait::search(std::string_view why) {
  ++outcome_.searches;
  exists_seen_ = false;
  after_idle_exists_ = false;
  round_ = why;
  cmd_ = Cmd::search;
  return send("search", finder_.search(command(), from_uid_));
}

Action Wait::after_search() {
  const std::vector<std::uint32_t> hits = finder_.hits();
  if (hits.empty()) return next_round();
  cmd_ = Cmd::fetch;
  return send("fetch", finder_.fetch(command(), hits));
}

Action Wait::after_fetch() {
  probes_ = finder_.verified();
  if (!finder_.report_candidates().empty()) {
    cmd_ = Cmd::reports;
    return send("fetch", finder_.fetch_reports(command()));
  }
  return decide();
}

Action Wait::after_reports() {
  for (const auto& [uid, report] : finder_.reports()) {
    if (std::find(reports_.begin(), reports_.end(), uid) == reports_.end()) {
      reports_.push_back(uid);
      const mime::DsnRecipient* r = report.primary();
      link().transcript.note(
          "UID " + std::to_string(uid) + " is a delivery report about our probe" +
          (r != nullptr && !r->status.empty() ? " (Status " + r->status + ")" : std::string()) +
          (report.is_bounce() ? "" : "; no bounce"));
    }
    if (report.is_bounce() && !outcome_.bounce) outcome_.bounce = report;
  }
  return decide();
}

Action Wait::decide() {
  outcome_.found_in = in_junk_ ? outcome_.junk : cfg_.mailbox;
  outcome_.in_junk = in_junk_;
  const bool found = cfg_.expect_bounce ? outcome_.bounce.has_value() : !probes_.empty();
  if (!found) {
    if (cfg_.expect_bounce && !probes_.empty())
      link().transcript.note("the probe was delivered; still waiting for the bounce expected");
    if (outcome_.bounce) {
      // Not what the file expects: the platform gave up on the probe.
      std::vector<std::uint32_t> uids;
      for (const auto& [uid, header] : probes_) uids.push_back(uid);
      uids.insert(uids.end(), reports_.begin(), reports_.end());
      outcome_.found_uids = sorted_unique(std::move(uids));
      outcome_.detected_by = round_;
      outcome_.at_idle_end = after_idle_exists_;
      const mime::Dsn& dsn = *outcome_.bounce;
      const mime::DsnRecipient* r = dsn.primary();
      std::string message = "the probe bounced";
      if (r != nullptr && !r->final_recipient.empty()) message += " for " + r->final_recipient;
      if (r != nullptr && !r->status.empty()) message += " with Status " + r->status;
      if (!dsn.reporting_mta.empty()) message += ", reported by " + dsn.reporting_mta;
      return fail(Reason::bounced, message, mime::bounce_reply(dsn));
    }
    if (finder_.verified().empty() && finder_.reports().empty())
      link().transcript.note("no search hit carries our token header yet; searching again");
    return next_round();
  }
  std::vector<std::uint32_t> uids;
  for (const auto& [uid, header] : probes_) uids.push_back(uid);
  uids.insert(uids.end(), reports_.begin(), reports_.end());
  outcome_.found_uids = sorted_unique(std::move(uids));
  if (!probes_.empty()) outcome_.headers = probes_.begin()->second;
  outcome_.detected_by = round_;
  outcome_.at_idle_end = after_idle_exists_;
  return succeed();
}

Action Wait::next_round() {
  // Junk is left for the watched mailbox (and what came there meanwhile) before anything else.
  if (in_junk_) return reselect();
  if (junk_news_) return check_junk(round_);
  const bool idle = cfg_.idle && !idle_refused_ && has_capability("IDLE");
  if (exists_seen_) return search(idle ? "idle" : "poll");
  if (idle) return this->idle();
  return pause("search", cfg_.poll_interval);
}

Action Wait::idle() {
  ++outcome_.idles;
  cmd_ = Cmd::idle;
  idling_ = false;
  return send("idle", command().word("IDLE").finish());
}

Action Wait::end_idle() {
  idling_ = false;
  // The EXISTS (or the renewal) ends phase "idle": what follows is the search's.
  return continue_command("search", "DONE");
}

}  // namespace mc::proto::imap
