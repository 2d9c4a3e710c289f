// imap.wait's watch on Junk: the LIST that finds the account's Junk mailbox, the NOTIFY (RFC
// 5465) that has the server tell of new mail in it while INBOX is selected, and without NOTIFY
// a STATUS of it every poll_interval; news in Junk has it EXAMINEd (nothing changes in it, not
// even \Recent) and searched as the watched mailbox is, then the watched one selected again.
#include <algorithm>
#include <utility>

#include "protocols/imap/tasks.hpp"
#include "protocols/imap/text.hpp"

namespace mc::proto::imap {

using namespace detail;

Action Wait::list() {
  cmd_ = Cmd::list;
  return send("list", list_command(command(), has_capability("SPECIAL-USE")));
}

Action Wait::after_list() {
  if (auto junk = choose_junk(listed_, cfg_.junk_mailbox, cfg_.mailbox)) {
    outcome_.junk = junk->name;
    outcome_.junk_how = junk->how;
    link().transcript.note("watching " + junk->name + " as the Junk mailbox (by " + junk->how +
                           ")");
    listed_.clear();
    // Junk first: its UIDNEXT is the baseline that the STATUS after the watched mailbox's
    // SELECT (and NOTIFY) compares with, so nothing that comes between is missed.
    opening_ = true;
    in_junk_ = true;
    cmd_ = Cmd::examine_junk;
    return select(outcome_.junk, "select", true);
  }
  link().transcript.note("no Junk mailbox found; watching only " + cfg_.mailbox);
  listed_.clear();
  cmd_ = Cmd::select;
  return select(cfg_.mailbox, "select");
}

Action Wait::after_select() {
  opening_ = false;
  if (cfg_.sent_after_select) from_uid_ = link().uidnext;
  if (outcome_.junk.empty()) return search("search");
  if (!has_capability("NOTIFY")) return status(StatusFrom::start);
  // New mail in the selected mailbox as before (EXISTS), and in Junk as a STATUS.
  CommandBuilder cmd = command();
  cmd.word("NOTIFY SET (selected (MessageNew MessageExpunge)) (mailboxes");
  cmd.astring(outcome_.junk, false).word("(MessageNew MessageExpunge))");
  cmd_ = Cmd::notify;
  return send("select", cmd.finish());
}

Action Wait::after_notify() {
  outcome_.junk_notify = true;
  return status(StatusFrom::start);
}

// STATUS (UIDNEXT) of Junk: at the start its baseline, then (without NOTIFY) whether it grew.
Action Wait::status(StatusFrom from) {
  status_from_ = from;
  CommandBuilder cmd = command();
  cmd.word("STATUS").astring(outcome_.junk, false).word("(UIDNEXT)");
  cmd_ = Cmd::status;
  return send(from == StatusFrom::start ? "select" : "search", cmd.finish());
}

Action Wait::after_status() {
  switch (status_from_) {
    case StatusFrom::start:
      return search("search");
    case StatusFrom::poll:
      return junk_news_ ? check_junk("poll") : search("poll");
    case StatusFrom::idle:
      // An EXISTS after the DONE: the search that follows tells when it was seen.
      if (exists_seen_) return search("poll");
      if (junk_news_) return check_junk("poll");
      return idle();
    case StatusFrom::reselect:
      return search(round_);
  }
  return fail(Reason::internal, "STATUS from nowhere");
}

bool Wait::take_junk_data(const Response& r) {
  if (r.status == "LIST" && cmd_ == Cmd::list) {
    ListEntry entry;
    if (parse_list(r, entry) && listed_.size() < kMaxListed) listed_.push_back(std::move(entry));
    return true;
  }
  if (r.status != "STATUS" || outcome_.junk.empty()) return false;
  StatusData st;
  if (!parse_status(r, st) || !same_mailbox(st.name, outcome_.junk)) return false;
  if (cmd_ == Cmd::examine_junk) return true;  // the EXAMINE's own UIDNEXT is the new baseline
  // A NOTIFY without UIDNEXT, or a UIDNEXT that moved: something came (an expunge moves none).
  if (st.uidnext == 0 || st.uidnext != junk_uidnext_) junk_news_ = true;
  if (st.uidnext != 0) junk_uidnext_ = st.uidnext;
  return true;
}

Action Wait::check_junk(std::string_view why) {
  junk_news_ = false;
  junk_round_ = why;
  after_idle_exists_ = false;
  in_junk_ = true;
  probes_.clear();
  reports_.clear();
  cmd_ = Cmd::examine_junk;
  return select(outcome_.junk, "search", true);
}

Action Wait::after_examine() {
  if (link().uidnext != 0) junk_uidnext_ = link().uidnext;
  if (opening_) {
    if (cfg_.sent_after_select) {
      // Nothing of this run can be there yet: the baseline is all this look is for.
      junk_from_ = junk_uidnext_;
      return reselect();
    }
    return search("search");  // the probe may be there already
  }
  const bool after_idle = after_idle_exists_;
  std::swap(from_uid_, junk_from_);  // Junk's own first UIDNEXT while it is selected
  Action a = search(junk_round_);
  std::swap(from_uid_, junk_from_);
  after_idle_exists_ = after_idle;
  return a;
}

Action Wait::junk_refused(const Response& r) {
  // A name the file gave must be right; one found by LIST that will not open is left unwatched.
  if (outcome_.junk_how == "file")
    return fail(Reason::rejected,
                "junk_mailbox \"" + outcome_.junk +
                    "\" cannot be opened: give the name of the account's Junk mailbox, or drop "
                    "junk_mailbox to find it by its SPECIAL-USE flag or a common name",
                &r);
  link().transcript.note("the server refused STATUS of " + outcome_.junk + "; watching only " +
                         cfg_.mailbox);
  junk_news_ = false;
  outcome_.junk.clear();
  outcome_.junk_how.clear();
  outcome_.junk_notify = false;
  if (in_junk_) return reselect();  // the EXAMINE failed: nothing is selected
  if (status_from_ == StatusFrom::start) return search("search");
  if (status_from_ == StatusFrom::reselect) return search(round_);
  return status_from_ == StatusFrom::poll ? search("poll") : idle();
}

Action Wait::reselect() {
  probes_.clear();
  reports_.clear();
  cmd_ = Cmd::reselect;
  return select(cfg_.mailbox, opening_ ? "select" : "search");
}

}  // namespace mc::proto::imap
