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
  cmd_ = Cmd::select;
  return select(cfg_.mailbox, "select");
}

Action Wait::completed(const Response&) {
  outcome_.uidvalidity = link().uidvalidity;
  switch (std::exchange(cmd_, Cmd::none)) {
    case Cmd::select:
      return search();
    case Cmd::search:
      return after_search();
    case Cmd::fetch:
      return after_fetch();
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
  return std::nullopt;  // flag updates and the like
}

Action Wait::waited() {
  return search();
}

Action Wait::search() {
  ++outcome_.searches;
  cmd_ = Cmd::search;
  return send("search", finder_.search(command()));
}

Action Wait::after_search() {
  const std::vector<std::uint32_t> hits = finder_.hits();
  if (hits.empty()) return pause("search", cfg_.poll_interval);
  cmd_ = Cmd::fetch;
  return send("fetch", finder_.fetch(command(), hits));
}

Action Wait::after_fetch() {
  if (finder_.verified().empty()) {
    link().transcript.note("no search hit carries our token header yet; searching again");
    return pause("search", cfg_.poll_interval);
  }
  outcome_.found_uids = finder_.verified_uids();
  outcome_.headers = finder_.verified().begin()->second;
  return succeed();
}

}  // namespace mc::proto::imap
