#include "protocols/imap.hpp"

#include <utility>

#include "codec/base64.hpp"
#include "protocols/imap/command.hpp"
#include "protocols/imap/fetch.hpp"
#include "protocols/imap/text.hpp"

namespace mc::proto::imap {

using namespace detail;
using codec::base64_encode;

// ---- Client: plumbing ----------------------------------------------------------------------

Client::Client(Config cfg) : cfg_(std::move(cfg)) {
  if (!cfg_.secret.empty()) {
    const std::string quoted = quote_astring(cfg_.secret);
    scrub_ = Redactor({
        base64_encode(std::string(1, '\0') + cfg_.user + '\0' + cfg_.secret),
        quoted.substr(1, quoted.size() - 2),
        cfg_.secret,
        base64_encode(cfg_.secret),
    });
  }
}

const Transcript& Client::transcript() const {
  return transcript_;
}
const Outcome& Client::outcome() const {
  return outcome_;
}

Action Client::start() {
  outcome_.tls = cfg_.implicit_tls;
  if (cfg_.mode != Mode::check && cfg_.token.empty()) {
    // An empty token would match every probe message ever sent.
    return fail(Reason::internal, "no probe token to search for");
  }
  return Action::read(phase_);
}

Action Client::on_written() {
  if (stage_ == Stage::done) return final_;
  if (stage_ != Stage::command) return fail(Reason::internal, "write completed, none was asked");
  return drain();
}

Action Client::on_input(std::string_view bytes) {
  if (stage_ == Stage::done) return final_;
  if (bytes.empty()) return on_disconnect();
  in_.feed(bytes);
  return drain();
}

Action Client::on_tls() {
  if (stage_ == Stage::done) return final_;
  if (stage_ != Stage::tls_handshake) return fail(Reason::internal, "TLS is up, none was asked");
  outcome_.tls = true;
  outcome_.capabilities.clear();  // what the server said in plaintext may have been forged
  stage_ = Stage::command;
  return capability();
}

Action Client::on_waited() {
  if (stage_ == Stage::done) return final_;
  if (stage_ != Stage::sleeping) return fail(Reason::internal, "wait elapsed, none was asked");
  stage_ = Stage::command;
  return search();
}

Action Client::on_disconnect() {
  if (cmd_ == Command::logout) {
    transcript_.note("server closed the connection during LOGOUT; the work was done");
    return succeed();
  }
  return fail(Reason::disconnected, "server closed the connection");
}

std::string Client::next_tag() {
  tag_ = "a" + std::to_string(++tags_used_);
  return tag_;
}

Action Client::send(Command cmd, std::vector<Chunk> chunks) {
  static constexpr std::pair<Command, std::string_view> kPhases[] = {
      {Command::capability, "capability"}, {Command::starttls, "starttls"},
      {Command::login, "login"},           {Command::select, "select"},
      {Command::search_token, "search"},   {Command::fetch_headers, "fetch"},
      {Command::fetch_newest, "fetch"},    {Command::store, "store"},
      {Command::uid_expunge, "expunge"},   {Command::search_deleted, "expunge"},
      {Command::fetch_deleted, "expunge"}, {Command::expunge, "expunge"},
      {Command::logout, "logout"},
  };
  for (const auto& [c, phase] : kPhases) {
    if (c == cmd) phase_ = phase;
  }
  cmd_ = cmd;
  stage_ = Stage::command;
  chunks_ = std::move(chunks);
  chunk_ = 0;
  transcript_.client(chunks_.front().shown);
  return Action::write(phase_, chunks_.front().bytes);
}

Action Client::drain() {
  for (;;) {
    Response r;
    switch (reader_.next(in_, r)) {
      case ResponseReader::Status::complete:
        if (auto action = handle(r)) return *action;
        break;
      case ResponseReader::Status::need_more:
        return Action::read(phase_);
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

std::optional<Action> Client::handle(const Response& r) {
  record(r);
  if (stage_ == Stage::greeting) return on_greeting(r);
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

std::optional<Action> Client::on_greeting(const Response& r) {
  if (r.kind != Response::Kind::untagged) {
    return fail(Reason::protocol, "expected an untagged greeting", &r);
  }
  take_response_code(r);
  if (r.status == "BYE") return fail(Reason::rejected, "server refused the connection", &r);
  if (r.status == "PREAUTH") {
    preauth_ = true;
    if (!outcome_.tls && cfg_.starttls == StartTls::required) {
      // STARTTLS is only allowed before authentication, so this session can never be secured.
      phase_ = "starttls";
      return fail(Reason::starttls_unavailable,
                  "server pre-authenticated a plaintext connection; STARTTLS is impossible", &r);
    }
  } else if (r.status != "OK") {
    return fail(Reason::protocol, "expected OK, PREAUTH or BYE as greeting", &r);
  }
  return capability();
}

std::optional<Action> Client::on_untagged(const Response& r) {
  take_response_code(r);
  if (r.status == "BYE") {
    if (cmd_ == Command::logout) return std::nullopt;
    return fail(Reason::disconnected, "server ended the session (BYE)", &r);
  }
  if (r.status == "PREAUTH") return fail(Reason::protocol, "PREAUTH after the greeting", &r);
  if (r.status == "CAPABILITY") take_capabilities(r.text);
  if (r.status == "EXISTS") exists_ = r.number;
  if (r.status == "SEARCH") return take_search(r);
  if (r.status == "FETCH") return take_fetch(r);
  return std::nullopt;  // notices, RECENT, FLAGS, EXPUNGE...: nothing to act on
}

std::optional<Action> Client::on_continuation(const Response& r) {
  if (cmd_ == Command::none || chunk_ + 1 >= chunks_.size()) {
    return fail(Reason::protocol, "unexpected continuation request", &r);
  }
  ++chunk_;
  transcript_.client(chunks_[chunk_].shown);
  return Action::write(phase_, chunks_[chunk_].bytes);
}

Action Client::on_tagged(const Response& r) {
  if (cmd_ == Command::none || r.tag != tag_) {
    return fail(Reason::protocol, "tagged response " + r.tag + " answers no command of ours", &r);
  }
  const Command cmd = std::exchange(cmd_, Command::none);
  chunks_.clear();
  chunk_ = 0;
  if (r.status == "OK") return on_tagged_ok(cmd, r);
  return on_tagged_refusal(cmd, r);
}

Action Client::on_tagged_ok(Command cmd, const Response& r) {
  take_response_code(r);
  switch (cmd) {
    case Command::capability:
      return after_capability();
    case Command::starttls:
      return after_starttls();
    case Command::login:
      return after_login();
    case Command::select:
      return after_select();
    case Command::search_token:
      return after_search();
    case Command::fetch_headers:
      return after_fetch_headers();
    case Command::fetch_newest:
      return logout();
    case Command::store:
      return after_store();
    case Command::search_deleted:
      return after_search_deleted();
    case Command::fetch_deleted:
      return after_fetch_deleted();
    case Command::uid_expunge:
    case Command::expunge:
      return after_expunge();
    case Command::logout:
      return succeed();
    case Command::none:
      break;
  }
  return fail(Reason::internal, "completion of no command");
}

Action Client::on_tagged_refusal(Command cmd, const Response& r) {
  const bool bad = r.status == "BAD";
  switch (cmd) {
    case Command::starttls:
      return fail(Reason::starttls_unavailable, "server refused STARTTLS", &r);
    case Command::login:
      if (bad) return fail(Reason::protocol, "server called the login command malformed", &r);
      return fail(Reason::auth_failed, "authentication failed", &r);
    case Command::logout:
      // Everything the step was for is done; a grumpy LOGOUT is not worth an alarm.
      transcript_.note("LOGOUT refused; the work was already done");
      return succeed();
    default:
      break;
  }
  if (bad) return fail(Reason::protocol, "server called the " + phase_ + " command malformed", &r);
  return fail(Reason::rejected, "server refused the " + phase_ + " command", &r);
}

}  // namespace mc::proto::imap
