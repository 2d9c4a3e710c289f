#include <string_view>
#include <utility>

#include "protocols/imap/fetch.hpp"
#include "protocols/imap/list.hpp"
#include "protocols/imap/tasks.hpp"
#include "protocols/imap/text.hpp"

namespace mc::proto::imap {
namespace {

using namespace detail;

}  // namespace

Check::Check(Link& link, CheckConfig cfg)
    : Task(link, Needs::authenticated, "list"), cfg_(std::move(cfg)) {}

Check::Check(Link& link, CheckConfig cfg, OneShot)
    : Task(link, Needs::authenticated, "select"), cfg_(std::move(cfg)), one_shot_(true) {}

std::string Check::phase_of(std::string_view what) const {
  if (one_shot_) return std::string(what);
  return std::string(what) + ":" + printable(mailbox_);
}

Action Check::begin() {
  if (one_shot_) return next_mailbox();
  cmd_ = Cmd::list;
  return send("list", list_command(command(), false));
}

Action Check::completed(const Response&) {
  switch (std::exchange(cmd_, Cmd::none)) {
    case Cmd::list:
      return next_mailbox();
    case Cmd::select:
      outcome_.mailboxes.push_back({mailbox_, link().exists, 0});
      if (link().exists == 0 || cfg_.fetch == 0) return next_mailbox();
      return fetch_newest();
    case Cmd::fetch:
      outcome_.mailboxes.back().fetched = static_cast<std::uint32_t>(answered_.size());
      return next_mailbox();
    case Cmd::none:
      break;
  }
  return fail(Reason::internal, "completion of no command");
}

Action Check::refused(const Response& r) {
  const bool bad = r.status == "BAD";
  const std::string quoted = quote_astring(printable(mailbox_));
  switch (std::exchange(cmd_, Cmd::none)) {
    case Cmd::select:
      if (bad)
        return fail(Reason::protocol, "server called the SELECT of " + quoted + " malformed", &r);
      return fail(Reason::rejected, "server refused to select mailbox " + quoted, &r);
    case Cmd::fetch:
      if (bad)
        return fail(Reason::protocol, "server called the FETCH in " + quoted + " malformed", &r);
      return fail(Reason::rejected, "server refused to fetch the newest headers of " + quoted, &r);
    default:
      return Task::refused(r);
  }
}

std::optional<Action> Check::data(const Response& r) {
  if (r.status == "LIST" && cmd_ == Cmd::list) {
    ListEntry entry;
    if (!parse_list(r, entry)) return fail(Reason::protocol, "malformed LIST response", &r);
    if (outcome_.listed.size() < kMaxListed) {
      outcome_.listed.push_back(std::move(entry.name));
    } else if (!list_truncated_) {
      list_truncated_ = true;
      link().transcript.note("more than " + std::to_string(kMaxListed) +
                             " mailboxes listed; the rest are not kept");
    }
  }
  if (r.status == "FETCH" && cmd_ == Cmd::fetch) {
    FetchData fetched;
    if (!parse_fetch(r, fetched)) return fail(Reason::protocol, "malformed FETCH response", &r);
    if (r.numbered && r.number >= first_ && r.number <= last_) answered_.insert(r.number);
  }
  return std::nullopt;
}

Action Check::next_mailbox() {
  if (next_ >= cfg_.mailboxes.size()) return succeed();
  mailbox_ = cfg_.mailboxes[next_++];
  cmd_ = Cmd::select;
  return select(mailbox_, phase_of("select"));
}

// The newest messages are what a user sees first when opening the mailbox; BODY.PEEK leaves
// them unseen.
Action Check::fetch_newest() {
  last_ = link().exists;
  first_ = last_ > cfg_.fetch ? last_ - cfg_.fetch + 1 : 1;
  answered_.clear();
  CommandBuilder cmd = command();
  cmd.word("FETCH")
      .word(std::to_string(first_) + ":" + std::to_string(last_))
      .word("(UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT)])");
  cmd_ = Cmd::fetch;
  return send(phase_of("fetch"), cmd.finish());
}

}  // namespace mc::proto::imap
