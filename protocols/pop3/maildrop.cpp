// The part of the POP3 session after the login: UIDL, TOP n 0, DELE, QUIT.
#include <algorithm>

#include "protocols/pop3/client.hpp"

namespace mc::proto::pop3 {

Action Client::uidl() {
  return send(Cmd::uidl, "search", "UIDL");
}

Action Client::after_uidl(const Reply& r) {
  // Without UIDL a message cannot be known again in another session: no safe DELE, no rounds.
  if (!r.ok())
    return fail(Reason::rejected,
                "server refused UIDL; mailcanary needs unique-ids to know the probe across "
                "sessions",
                &r);
  auto entries = parse_uidl(r.lines);
  if (!entries) return fail(Reason::protocol, "malformed UIDL listing");
  outcome_.messages = entries->size();
  // Newest first: the probe is the latest to arrive, and messages are numbered in arrival order.
  std::sort(entries->begin(), entries->end(),
            [](const UidlEntry& a, const UidlEntry& b) { return a.number > b.number; });
  candidates_.clear();
  for (UidlEntry& e : *entries) {
    if (candidates_.size() >= cfg_.max_tops) break;
    if (cfg_.mode == Mode::find && cfg_.skip_uids.count(e.uid)) continue;
    if (cfg_.mode == Mode::remove && !cfg_.uid.empty() && e.uid != cfg_.uid) continue;
    candidates_.push_back(std::move(e));
  }
  if (cfg_.mode == Mode::remove && !cfg_.uid.empty() && candidates_.empty())
    transcript_.note("unique-id " + cfg_.uid + " is not in the maildrop any more");
  next_ = 0;
  return next_top();
}

Action Client::next_top() {
  if (next_ >= candidates_.size()) return quit();
  const UidlEntry& e = candidates_[next_++];
  top_number_ = e.number;
  top_uid_ = e.uid;
  return send(Cmd::top, "fetch", "TOP " + std::to_string(e.number) + " 0");
}

Action Client::after_top(const Reply& r) {
  if (!r.ok()) {
    // RFC 1939 makes TOP optional; without it no header can prove a message is the probe.
    return fail(Reason::rejected,
                "server refused TOP " + std::to_string(top_number_) +
                    " 0; mailcanary reads the header to prove a message is the probe",
                &r);
  }
  ++outcome_.tops;
  std::string headers = header_block(r.lines);
  if (!carries_token(headers, cfg_.token)) {
    outcome_.looked_at.push_back(top_uid_);
    if (cfg_.mode == Mode::remove && !cfg_.uid.empty())
      transcript_.note("unique-id " + top_uid_ + " does not carry this run's token: not deleted");
    return next_top();
  }
  outcome_.found_uid = top_uid_;
  outcome_.found_number = top_number_;
  outcome_.headers = std::move(headers);
  if (cfg_.mode == Mode::remove) return dele();
  return quit();
}

Action Client::dele() {
  return send(Cmd::dele, "store", "DELE " + std::to_string(outcome_.found_number));
}

Action Client::after_dele(const Reply& r) {
  if (!r.ok()) return fail(Reason::rejected, "server refused DELE", &r);
  outcome_.dele_accepted = true;
  return quit();
}

Action Client::quit() {
  return send(Cmd::quit, "quit", "QUIT");
}

Action Client::after_quit(const Reply& r) {
  if (!r.ok()) {
    // RFC 1939 section 6: -ERR to QUIT in the UPDATE state means messages marked were kept.
    if (outcome_.dele_accepted)
      return fail(Reason::rejected, "server refused QUIT: the message marked with DELE was kept",
                  &r);
    transcript_.note("QUIT refused; nothing was to be changed");
  } else {
    outcome_.quit_ok = true;
    outcome_.deleted = outcome_.dele_accepted;
  }
  done_ = true;
  final_ = Action::finish();
  return final_;
}

Action Client::closed() {
  if (cmd_ == Cmd::quit && !outcome_.dele_accepted) {
    transcript_.note("server closed the connection during QUIT; nothing was to be changed");
    done_ = true;
    final_ = Action::finish();
    return final_;
  }
  if (outcome_.dele_accepted)
    return fail(Reason::disconnected,
                "server closed the connection before QUIT's +OK: POP3 deletes at QUIT only, so "
                "the probe was not deleted");
  return fail(Reason::disconnected, "server closed the connection");
}

}  // namespace mc::proto::pop3
