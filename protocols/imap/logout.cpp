#include "protocols/imap/tasks.hpp"

namespace mc::proto::imap {

Logout::Logout(Link& link) : Task(link, Needs::in_step, "logout") {}

Action Logout::begin() {
  return send("logout", command().word("LOGOUT").finish());
}

Action Logout::completed(const Response&) {
  return finished();
}

Action Logout::refused(const Response&) {
  // Everything the session was for is done; a grumpy LOGOUT is not worth an alarm.
  link().transcript.note("LOGOUT refused; the work was already done");
  return finished();
}

std::optional<Action> Logout::bye(const Response&) {
  return std::nullopt;  // the answer LOGOUT asks for
}

Action Logout::closed() {
  link().transcript.note("server closed the connection during LOGOUT; the work was done");
  return finished();
}

}  // namespace mc::proto::imap
