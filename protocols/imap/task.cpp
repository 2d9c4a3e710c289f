#include "protocols/imap/task.hpp"

#include <utility>

#include "protocols/imap/text.hpp"

namespace mc::proto::imap::detail {

// ---- Task: starting, and what the driver tells it ------------------------------------------

Task::Task(Link& link, Needs needs, std::string first_phase)
    : link_(link), needs_(needs), phase_(std::move(first_phase)) {}

const Transcript& Task::transcript() const {
  return link_.s_.transcript;
}

Action Task::start() {
  if (stage_ == Stage::done) return final_;
  if (stage_ != Stage::idle) return fail(Reason::internal, "task started twice");
  LinkState& s = link();
  // Nothing is sent on a link this task cannot use: the connection's state is not what the
  // task's commands assume.
  if (s.over && !(needs_ == Needs::in_step && s.in_step && s.authenticated)) {
    return fail(Reason::internal,
                "the IMAP connection is not usable: a task on it failed, or it was logged out");
  }
  if (s.busy) return fail(Reason::internal, "another task is still running on this connection");
  if (needs_ == Needs::fresh && s.greeted) {
    return fail(Reason::internal, "this IMAP connection was already used by another login");
  }
  if (needs_ != Needs::fresh && !s.authenticated) {
    return fail(Reason::internal, "the IMAP connection is not logged in");
  }
  s.busy = true;
  claimed_ = true;
  return begin();
}

Action Task::on_written() {
  if (stage_ == Stage::done) return final_;
  if (stage_ != Stage::command) return fail(Reason::internal, "write completed, none was asked");
  return drain();
}

Action Task::on_input(std::string_view bytes) {
  if (stage_ == Stage::done) return final_;
  if (stage_ == Stage::idle) return fail(Reason::internal, "bytes arrived before the task began");
  if (bytes.empty()) return closed();
  link().in.feed(bytes);
  return drain();
}

Action Task::on_tls() {
  if (stage_ == Stage::done) return final_;
  if (stage_ != Stage::tls_handshake) return fail(Reason::internal, "TLS is up, none was asked");
  stage_ = Stage::command;
  return tls_up();
}

Action Task::on_waited() {
  if (stage_ == Stage::done) return final_;
  if (stage_ == Stage::command && wake_.count() > 0) {
    wake_ = std::chrono::milliseconds(0);
    return waited();
  }
  if (stage_ != Stage::sleeping) return fail(Reason::internal, "wait elapsed, none was asked");
  stage_ = Stage::command;
  return waited();
}

// ---- Task: default answers -----------------------------------------------------------------

Action Task::refused(const Response& r) {
  if (r.status == "BAD") {
    return fail(Reason::protocol, "server called the " + phase_ + " command malformed", &r);
  }
  return fail(Reason::rejected, "server refused the " + phase_ + " command", &r);
}

std::optional<Action> Task::greeting(const Response& r) {
  return fail(Reason::internal, "a greeting was read by a task that expects none", &r);
}

std::optional<Action> Task::bye(const Response& r) {
  return fail(Reason::disconnected, "server ended the session (BYE)", &r);
}

Action Task::closed() {
  return fail(Reason::disconnected, "server closed the connection");
}

Action Task::tls_up() {
  return fail(Reason::internal, "TLS is up, none was asked");
}

Action Task::waited() {
  return fail(Reason::internal, "wait elapsed, none was asked");
}

std::optional<Action> Task::continued(const Response& r) {
  return fail(Reason::protocol, "unexpected continuation request", &r);
}

// ---- Task: commands out --------------------------------------------------------------------

CommandBuilder Task::command() {
  tag_ = "a" + std::to_string(++link().tags_used);
  return CommandBuilder(tag_, link().capabilities);
}

Action Task::send(std::string phase, std::vector<Chunk> chunks) {
  phase_ = std::move(phase);
  stage_ = Stage::command;
  wake_ = std::chrono::milliseconds(0);
  chunks_ = std::move(chunks);
  chunk_ = 0;
  link().transcript.client(chunks_.front().shown);
  return Action::write(phase_, chunks_.front().bytes);
}

Action Task::listen(std::string phase, std::chrono::milliseconds wake) {
  phase_ = std::move(phase);
  stage_ = Stage::command;
  wake_ = wake;
  return drain();
}

Action Task::continue_command(std::string phase, std::string line,
                              std::optional<std::string> shown) {
  phase_ = std::move(phase);
  stage_ = Stage::command;
  wake_ = std::chrono::milliseconds(0);
  link().transcript.client(shown ? *shown : line);
  return Action::write(phase_, line + "\r\n");
}

Action Task::await_greeting() {
  stage_ = Stage::greeting;
  return Action::read(phase_);
}

Action Task::handshake() {
  stage_ = Stage::tls_handshake;
  phase_ = "tls_handshake";
  return Action::start_tls(phase_);
}

Action Task::pause(std::string phase, std::chrono::milliseconds d) {
  stage_ = Stage::sleeping;
  phase_ = std::move(phase);
  return Action::sleep(phase_, d);
}

Action Task::select(const std::string& mailbox, std::string phase, bool read_only) {
  LinkState& s = link();
  // A SELECT that fails leaves no mailbox selected (RFC 3501 6.3.1); only its own answer counts.
  s.selected.clear();
  s.exists = 0;
  s.uidvalidity = 0;
  s.uidnext = 0;
  s.read_only = read_only;
  CommandBuilder cmd = command();
  cmd.word(read_only ? "EXAMINE" : "SELECT").astring(mailbox, false);
  selecting_ = mailbox;
  return send(std::move(phase), cmd.finish());
}

// ---- Task: responses in --------------------------------------------------------------------

Action Task::drain() {
  for (;;) {
    Response r;
    switch (link().reader.next(link().in, r)) {
      case ResponseReader::Status::complete:
        if (auto action = handle(r)) return *action;
        break;
      case ResponseReader::Status::need_more:
        return wake_.count() > 0 ? Action::read_until(phase_, wake_) : Action::read(phase_);
      case ResponseReader::Status::too_long:
        return fail(Reason::protocol, "response line longer than the limit of " +
                                          std::to_string(kMaxLineBytes) + " bytes");
      case ResponseReader::Status::response_too_large:
        return fail(Reason::protocol, "response larger than the limit of " +
                                          std::to_string(kMaxResponseBytes) +
                                          " bytes, literals included");
      case ResponseReader::Status::bare_lf:
        return fail(Reason::protocol, "bare LF in a response; IMAP lines end with CRLF");
      case ResponseReader::Status::literal_too_large:
        return fail(Reason::protocol, "literal larger than the limit of " +
                                          std::to_string(kMaxLiteralBytes) +
                                          " bytes; refused before reading");
      case ResponseReader::Status::malformed:
        return fail(Reason::protocol, "malformed response");
    }
  }
}

std::optional<Action> Task::handle(const Response& r) {
  link().transcript.server(link().scrub(render(r)));
  if (stage_ == Stage::greeting) return greeting(r);
  switch (r.kind) {
    case Response::Kind::continuation:
      return on_continuation(r);
    case Response::Kind::untagged:
      return on_untagged(r);
    case Response::Kind::tagged:
      return on_tagged(r);
  }
  return fail(Reason::internal, "unknown response kind");
}

std::optional<Action> Task::on_untagged(const Response& r) {
  take_response_code(r);
  if (r.status == "BYE") return bye(r);
  if (r.status == "PREAUTH") return fail(Reason::protocol, "PREAUTH after the greeting", &r);
  if (r.status == "CAPABILITY") take_capabilities(r.text);
  if (r.status == "EXISTS") link().exists = r.number;
  return data(r);  // notices, RECENT, FLAGS, EXPUNGE...: the task's business, if any
}

std::optional<Action> Task::on_continuation(const Response& r) {
  if (tag_.empty()) return fail(Reason::protocol, "unexpected continuation request", &r);
  if (chunk_ + 1 >= chunks_.size()) return continued(r);
  ++chunk_;
  link().transcript.client(chunks_[chunk_].shown);
  return Action::write(phase_, chunks_[chunk_].bytes);
}

Action Task::on_tagged(const Response& r) {
  if (tag_.empty() || r.tag != tag_) {
    return fail(Reason::protocol, "tagged response " + r.tag + " answers no command of ours", &r);
  }
  tag_.clear();
  chunks_.clear();
  chunk_ = 0;
  const std::optional<std::string> selected = std::exchange(selecting_, std::nullopt);
  if (r.status != "OK") return refused(r);
  take_response_code(r);
  if (selected) link().selected = *selected;
  return completed(r);
}

void Task::take_capabilities(std::string_view atoms) {
  std::vector<std::string>& caps = link().capabilities;
  caps.clear();
  for (std::string_view atom : split_words(atoms)) caps.push_back(to_upper(atom));
}

void Task::take_response_code(const Response& r) {
  std::string_view code = r.code;
  const std::string_view name = take_word(code);
  if (iequals(name, "CAPABILITY")) take_capabilities(code);
  if (iequals(name, "UIDVALIDITY")) {
    std::uint32_t value = 0;
    if (parse_u32(code, value)) link().uidvalidity = value;
  }
  if (iequals(name, "UIDNEXT")) {
    std::uint32_t value = 0;
    if (parse_u32(code, value)) link().uidnext = value;
  }
}

bool Task::has_capability(std::string_view name) const {
  return has(link().capabilities, name);
}

// ---- Task: the end -------------------------------------------------------------------------

Action Task::succeed() {
  return end(Action::finish());
}

Action Task::finished() {
  LinkState& s = link();
  s.over = true;
  s.authenticated = false;
  s.selected.clear();
  return end(Action::finish());
}

Action Task::fail(Reason reason, std::string message, const Response* reply) {
  const Redactor& scrub = link().scrub;
  Failure failure{reason, phase_, scrub(std::move(message)), std::nullopt};
  if (reply != nullptr) {
    failure.reply = ServerReply{0, scrub(reply->code), scrub(reply->text), scrub(reply->status)};
  }
  link().transcript.note("failed (" + std::string(to_string(reason)) + "): " + failure.message);
  // A task that never had the link leaves it as it was: nothing of it was used.
  if (claimed_) {
    link().over = true;
    link().in_step = tag_.empty();  // no command of ours is still waiting for its answer
  }
  tag_.clear();
  return end(Action::fail(std::move(failure)));
}

Action Task::fail(Reason reason, std::string message, ServerReply reply) {
  const Redactor& scrub = link().scrub;
  reply.text = scrub(std::move(reply.text));
  Action a = fail(reason, std::move(message));
  if (a.failure) a.failure->reply = std::move(reply);
  final_ = a;
  return a;
}

Action Task::end(Action final) {
  if (claimed_) link().busy = false;
  claimed_ = false;
  stage_ = Stage::done;
  final_ = std::move(final);
  return final_;
}

}  // namespace mc::proto::imap::detail
