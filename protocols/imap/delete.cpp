#include <algorithm>
#include <utility>

#include "protocols/imap/fetch.hpp"
#include "protocols/imap/tasks.hpp"
#include "protocols/imap/text.hpp"

namespace mc::proto::imap {

using namespace detail;

// Beyond this many batches of flagged messages, the mailbox is the user's business, not a
// backlog of probes: no plain EXPUNGE.
constexpr std::size_t kMaxDeletedBatches = 50;

Delete::Delete(Link& link, DeleteConfig cfg)
    : Task(link, Needs::in_step, "select"), cfg_(std::move(cfg)), finder_(cfg_.token) {}

Action Delete::begin() {
  // An empty token would match every probe message ever sent.
  if (cfg_.token.empty()) return fail(Reason::internal, "no probe token to search for");
  cmd_ = Cmd::select;
  return select(cfg_.mailbox, "select");
}

Action Delete::completed(const Response&) {
  outcome_.uidvalidity = link().uidvalidity;
  switch (std::exchange(cmd_, Cmd::none)) {
    case Cmd::select:
      return after_select();
    case Cmd::search_token:
      return after_search();
    case Cmd::fetch_headers:
      return after_fetch_headers();
    case Cmd::fetch_reports:
      return after_fetch_reports();
    case Cmd::store:
      return after_store();
    case Cmd::search_deleted:
      return after_search_deleted();
    case Cmd::fetch_deleted:
      return after_fetch_deleted();
    case Cmd::uid_expunge:
    case Cmd::expunge:
      return after_expunge();
    case Cmd::none:
      break;
  }
  return fail(Reason::internal, "completion of no command");
}

std::optional<Action> Delete::data(const Response& r) {
  outcome_.uidvalidity = link().uidvalidity;
  if (r.status == "SEARCH" && (cmd_ == Cmd::search_token || cmd_ == Cmd::search_deleted) &&
      !finder_.take_search(r)) {
    return fail(Reason::protocol, "malformed SEARCH data", &r);
  }
  if (r.status == "FETCH") {
    if (cmd_ == Cmd::fetch_deleted) return take_deleted_fetch(r);
    if (cmd_ == Cmd::fetch_headers && !finder_.take_fetch(r, link().transcript)) {
      return fail(Reason::protocol, "malformed FETCH response", &r);
    }
    if (cmd_ == Cmd::fetch_reports && !finder_.take_report(r, link().transcript)) {
      return fail(Reason::protocol, "malformed FETCH response", &r);
    }
  }
  return std::nullopt;  // flag updates and the like
}

// ---- Finding our messages ------------------------------------------------------------------

Action Delete::after_select() {
  if (auto refused = uidvalidity_changed()) return *refused;
  cmd_ = Cmd::search_token;
  return send("search", finder_.search(command()));
}

Action Delete::after_search() {
  const std::vector<std::uint32_t> hits = finder_.hits();
  if (auto refused = uidvalidity_changed()) return *refused;
  if (cfg_.uids.empty()) {
    // Nobody told us which UIDs are ours: only the ones whose header proves it qualify.
    if (hits.empty()) return store();
    cmd_ = Cmd::fetch_headers;
    return send("fetch", finder_.fetch(command(), hits));
  }
  const std::vector<std::uint32_t> allowed = sorted_unique(cfg_.uids);
  const std::vector<std::uint32_t> foreign = difference(hits, allowed);
  if (!foreign.empty()) {
    link().transcript.note("search also found UIDs " + uid_list(foreign) +
                           " that imap.wait did not report; leaving them alone");
  }
  target_ = intersect(hits, allowed);
  if (cfg_.find_only) {
    // A probe meant to stay: found, left alone, whoever told us its UIDs.
    link().transcript.note("find_only: UIDs " + uid_list(target_) + " found and left alone");
    return succeed();
  }
  return store();
}

Action Delete::after_fetch_headers() {
  target_ = finder_.verified_uids();
  if (!finder_.verified().empty()) outcome_.headers = finder_.verified().begin()->second;
  if (!finder_.report_candidates().empty()) {
    // A delivery report returning the probe is ours too, once its text proves it.
    cmd_ = Cmd::fetch_reports;
    return send("fetch", finder_.fetch_reports(command()));
  }
  if (cfg_.find_only) return succeed();  // a probe meant to stay: found, left alone
  return store();
}

Action Delete::after_fetch_reports() {
  for (const auto& [uid, report] : finder_.reports()) {
    target_.push_back(uid);
    outcome_.report_uids.push_back(uid);
  }
  target_ = sorted_unique(std::move(target_));
  if (cfg_.find_only) return succeed();
  return store();
}

// ---- Flagging and expunging ----------------------------------------------------------------

Action Delete::store() {
  if (target_.empty()) {
    link().transcript.note("no message of ours to delete");
    return succeed();
  }
  if (auto refused = uidvalidity_changed()) return *refused;
  CommandBuilder cmd = command();
  cmd.word("UID STORE").word(uid_set(target_)).word("+FLAGS.SILENT (\\Deleted)");
  cmd_ = Cmd::store;
  return send("store", cmd.finish());
}

Action Delete::after_store() {
  if (has_capability("UIDPLUS")) {
    // UID EXPUNGE removes exactly these UIDs, whatever else is flagged \Deleted.
    CommandBuilder cmd = command();
    cmd.word("UID EXPUNGE").word(uid_set(target_));
    cmd_ = Cmd::uid_expunge;
    return send("expunge", cmd.finish());
  }
  return search_deleted();
}

Action Delete::search_deleted() {
  cmd_ = Cmd::search_deleted;
  return send("expunge", finder_.search_deleted(command()));
}

Action Delete::after_search_deleted() {
  // A plain EXPUNGE removes every \Deleted message, so it is only safe when all of them are
  // ours. (Another client could still flag one between this SEARCH and the EXPUNGE; IMAP offers
  // no way to close that window without UIDPLUS.)
  if (recheck_) return after_recheck();
  deleted_others_ = difference(finder_.hits(), target_);
  own_deleted_.clear();
  deleted_checked_ = 0;
  if (deleted_others_.empty()) return expunge();
  if (deleted_others_.size() > kMaxVerifyPerFetch * kMaxDeletedBatches) {
    return skip_expunge(deleted_others_);
  }
  return fetch_deleted_batch();
}

// Some of the others may be mailcanary's own earlier probes, left flagged by a run like this
// one: their token header, read now, tells them from the user's mail. Only that one field is
// fetched, a batch at a time, so a long backlog of flagged probes can still be cleared.
Action Delete::fetch_deleted_batch() {
  const std::size_t end = std::min(deleted_others_.size(), deleted_checked_ + kMaxVerifyPerFetch);
  const std::vector<std::uint32_t> batch(
      deleted_others_.begin() + static_cast<std::ptrdiff_t>(deleted_checked_),
      deleted_others_.begin() + static_cast<std::ptrdiff_t>(end));
  CommandBuilder cmd = command();
  cmd.word("UID FETCH")
      .word(uid_set(batch))
      .word("(UID BODY.PEEK[HEADER.FIELDS (" + std::string(kTokenHeader) + ")])");
  cmd_ = Cmd::fetch_deleted;
  return send("expunge", cmd.finish());
}

std::optional<Action> Delete::take_deleted_fetch(const Response& r) {
  FetchData data;
  if (!parse_fetch(r, data)) return fail(Reason::protocol, "malformed FETCH response", &r);
  if (!data.uid || !data.header) return std::nullopt;
  const std::uint32_t uid = *data.uid;
  if (!std::binary_search(deleted_others_.begin(), deleted_others_.end(), uid)) {
    return std::nullopt;
  }
  if (carries_token(*data.header, cfg_.token)) {
    own_deleted_.emplace(uid, cfg_.token);
    return std::nullopt;
  }
  for (const std::string& token : cfg_.own_tokens) {
    if (!token.empty() && carries_token(*data.header, token)) {
      own_deleted_.emplace(uid, token);
      break;
    }
  }
  return std::nullopt;
}

Action Delete::after_fetch_deleted() {
  const std::size_t end = std::min(deleted_others_.size(), deleted_checked_ + kMaxVerifyPerFetch);
  std::vector<std::uint32_t> foreign;
  for (std::size_t i = deleted_checked_; i < end; ++i)
    if (!own_deleted_.count(deleted_others_[i])) foreign.push_back(deleted_others_[i]);
  if (!foreign.empty()) return skip_expunge(foreign);
  deleted_checked_ = end;
  if (deleted_checked_ < deleted_others_.size()) return fetch_deleted_batch();
  // Checking took round trips in which someone could have flagged more: ask once more, right
  // before the EXPUNGE, and go ahead only if nothing new is flagged.
  recheck_ = true;
  return search_deleted();
}

Action Delete::after_recheck() {
  recheck_ = false;
  std::vector<std::uint32_t> foreign;
  for (std::uint32_t uid : difference(finder_.hits(), target_))
    if (!own_deleted_.count(uid)) foreign.push_back(uid);
  if (!foreign.empty()) return skip_expunge(foreign);
  for (const auto& [uid, token] : own_deleted_) {
    if (token != cfg_.token) outcome_.also_expunged.push_back(token);
  }
  link().transcript.note("every other \\Deleted message (UIDs " + uid_list(deleted_others_) +
                         ") carries a token of mailcanary's; expunging");
  return expunge();
}

Action Delete::skip_expunge(const std::vector<std::uint32_t>& foreign) {
  outcome_.expunge_skipped = true;
  link().transcript.note("other messages (UIDs " + uid_list(foreign) +
                         ") are flagged \\Deleted by their owner; not expunging, our probe stays "
                         "flagged \\Deleted");
  return succeed();
}

Action Delete::expunge() {
  cmd_ = Cmd::expunge;
  return send("expunge", command().word("EXPUNGE").finish());
}

Action Delete::after_expunge() {
  outcome_.deleted_uids = target_;
  return succeed();
}

// ---- Safety --------------------------------------------------------------------------------

// The UIDs we were given name messages only under the UIDVALIDITY they were seen with; this
// session's SELECT must have reported the same.
std::optional<Action> Delete::uidvalidity_changed() {
  const std::uint32_t now = link().uidvalidity;
  if (cfg_.uidvalidity == 0 || now == cfg_.uidvalidity) return std::nullopt;
  return fail(Reason::protocol, "UIDVALIDITY changed from " + std::to_string(cfg_.uidvalidity) +
                                    " to " + std::to_string(now) +
                                    ": the UIDs may name other messages; nothing deleted");
}

}  // namespace mc::proto::imap
