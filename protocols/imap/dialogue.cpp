#include "protocols/imap.hpp"

#include <utility>

#include "codec/base64.hpp"
#include "protocols/imap/command.hpp"
#include "protocols/imap/fetch.hpp"
#include "protocols/imap/text.hpp"

namespace mc::proto::imap {

using namespace detail;
using codec::base64_encode;

// Beyond this many batches of flagged messages, the mailbox is the user's business, not a
// backlog of probes: no plain EXPUNGE.
constexpr std::size_t kMaxDeletedBatches = 50;

// ---- Client: the dialogue ------------------------------------------------------------------

Action Client::capability() {
  return send(Command::capability,
              CommandBuilder(next_tag(), outcome_.capabilities).word("CAPABILITY").finish());
}

Action Client::after_capability() {
  if (!outcome_.tls && cfg_.starttls != StartTls::off) {
    if (preauth_) {
      transcript_.note("pre-authenticated: continuing without TLS (starttls optional)");
    } else if (has_capability("STARTTLS")) {
      return starttls();
    } else if (cfg_.starttls == StartTls::required) {
      phase_ = "starttls";  // as in SMTP: the step that could not happen
      return fail(Reason::starttls_unavailable,
                  "STARTTLS required but the server does not offer it");
    } else {
      transcript_.note("STARTTLS not offered: continuing without TLS (starttls optional)");
    }
  }
  return preauth_ ? select() : login();
}

Action Client::starttls() {
  if (in_.buffered() > 0) {
    return fail(Reason::protocol, "server sent data ahead of STARTTLS; refusing to continue");
  }
  return send(Command::starttls,
              CommandBuilder(next_tag(), outcome_.capabilities).word("STARTTLS").finish());
}

Action Client::after_starttls() {
  // CVE-2021-22947: anything already buffered was sent in plaintext, possibly by an attacker,
  // and must never be read as if it came through TLS.
  if (in_.buffered() > 0) {
    return fail(Reason::protocol, "server sent data after the STARTTLS reply; plaintext refused");
  }
  stage_ = Stage::tls_handshake;
  phase_ = "tls_handshake";
  return Action::start_tls(phase_);
}

Action Client::login() {
  if (!outcome_.tls) {
    // Whoever strips STARTTLS from the path would read the password: only the file may allow it.
    if (!cfg_.allow_plaintext_auth) {
      phase_ = "starttls";
      return fail(Reason::starttls_unavailable,
                  plaintext_refusal(cfg_.starttls == StartTls::off, "LOGIN"));
    }
    outcome_.plaintext_auth = true;
    transcript_.note("sending credentials without TLS (allow_plaintext_auth)");
  }
  if (has_capability("LOGINDISABLED")) return authenticate_plain();
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("LOGIN").astring(cfg_.user, true).astring(cfg_.secret, true);
  return send(Command::login, command.finish());
}

Action Client::authenticate_plain() {
  if (!has_capability("AUTH=PLAIN")) {
    phase_ = "login";
    return fail(Reason::auth_failed, "server disables LOGIN and offers no AUTH=PLAIN");
  }
  const std::string response = base64_encode(std::string(1, '\0') + cfg_.user + '\0' + cfg_.secret);
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("AUTHENTICATE PLAIN");
  if (has_capability("SASL-IR")) {
    command.secret_word(response);
  } else {
    command.secret_line(response);
  }
  return send(Command::login, command.finish());
}

Action Client::after_login() {
  return select();
}

Action Client::select() {
  exists_ = 0;
  outcome_.uidvalidity = 0;  // only the selected mailbox's value counts
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("SELECT").astring(cfg_.mailbox, false);
  return send(Command::select, command.finish());
}

Action Client::after_select() {
  switch (cfg_.mode) {
    case Mode::wait:
      return search();
    case Mode::remove:
      if (auto refused = uidvalidity_changed()) return *refused;
      return search();
    case Mode::check:
      return exists_ == 0 ? logout() : fetch_newest();
  }
  return fail(Reason::internal, "unknown mode");
}

Action Client::search() {
  search_hits_.clear();
  ++outcome_.searches;
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("UID SEARCH HEADER").word(kTokenHeader).astring(cfg_.token, false);
  return send(Command::search_token, command.finish());
}

Action Client::sleep_then_search() {
  stage_ = Stage::sleeping;
  phase_ = "search";
  return Action::sleep(phase_, cfg_.poll_interval);
}

Action Client::after_search() {
  std::vector<std::uint32_t> hits = sorted_unique(search_hits_);
  if (cfg_.mode == Mode::wait) {
    if (hits.empty()) return sleep_then_search();
    return fetch_headers(hits);
  }
  if (auto refused = uidvalidity_changed()) return *refused;
  if (cfg_.uids.empty()) {
    // Nobody told us which UIDs are ours: only the ones whose header proves it qualify.
    if (hits.empty()) return store();
    return fetch_headers(hits);
  }
  const std::vector<std::uint32_t> allowed = sorted_unique(cfg_.uids);
  const std::vector<std::uint32_t> foreign = difference(hits, allowed);
  if (!foreign.empty()) {
    transcript_.note("search also found UIDs " + uid_list(foreign) +
                     " that imap.wait did not report; leaving them alone");
  }
  target_ = intersect(hits, allowed);
  return store();
}

Action Client::fetch_headers(const std::vector<std::uint32_t>& uids) {
  fetch_requested_ = uids;
  if (fetch_requested_.size() > kMaxVerifyPerFetch) fetch_requested_.resize(kMaxVerifyPerFetch);
  verified_.clear();
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("UID FETCH").word(uid_set(fetch_requested_)).word("(UID BODY.PEEK[HEADER])");
  return send(Command::fetch_headers, command.finish());
}

Action Client::after_fetch_headers() {
  std::vector<std::uint32_t> verified;
  for (const auto& [uid, header] : verified_) verified.push_back(uid);
  if (cfg_.mode == Mode::remove) {
    target_ = verified;
    if (!verified_.empty()) outcome_.headers = verified_.begin()->second;
    if (cfg_.find_only) return logout();  // a probe meant to stay: found, left alone
    return store();
  }
  if (verified.empty()) {
    transcript_.note("no search hit carries our token header yet; searching again");
    return sleep_then_search();
  }
  outcome_.found_uids = verified;
  outcome_.headers = verified_.begin()->second;
  return logout();
}

Action Client::fetch_newest() {
  // The newest few messages are what a user sees first when opening the mailbox.
  constexpr std::uint32_t kNewest = 5;
  const std::uint32_t first = exists_ > kNewest ? exists_ - kNewest + 1 : 1;
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("FETCH")
      .word(std::to_string(first) + ":" + std::to_string(exists_))
      .word("(UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT)])");
  return send(Command::fetch_newest, command.finish());
}

Action Client::store() {
  if (target_.empty()) {
    transcript_.note("no message of ours to delete");
    return logout();
  }
  if (auto refused = uidvalidity_changed()) return *refused;
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("UID STORE").word(uid_set(target_)).word("+FLAGS.SILENT (\\Deleted)");
  return send(Command::store, command.finish());
}

Action Client::after_store() {
  if (has_capability("UIDPLUS")) {
    // UID EXPUNGE removes exactly these UIDs, whatever else is flagged \Deleted.
    CommandBuilder command(next_tag(), outcome_.capabilities);
    command.word("UID EXPUNGE").word(uid_set(target_));
    return send(Command::uid_expunge, command.finish());
  }
  return search_deleted();
}

Action Client::search_deleted() {
  search_hits_.clear();
  return send(
      Command::search_deleted,
      CommandBuilder(next_tag(), outcome_.capabilities).word("UID SEARCH DELETED").finish());
}

Action Client::after_search_deleted() {
  // A plain EXPUNGE removes every \Deleted message, so it is only safe when all of them are
  // ours. (Another client could still flag one between this SEARCH and the EXPUNGE; IMAP offers
  // no way to close that window without UIDPLUS.)
  if (recheck_) return after_recheck();
  deleted_others_ = difference(sorted_unique(search_hits_), target_);
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
Action Client::fetch_deleted_batch() {
  const std::size_t end = std::min(deleted_others_.size(), deleted_checked_ + kMaxVerifyPerFetch);
  const std::vector<std::uint32_t> batch(
      deleted_others_.begin() + static_cast<std::ptrdiff_t>(deleted_checked_),
      deleted_others_.begin() + static_cast<std::ptrdiff_t>(end));
  CommandBuilder command(next_tag(), outcome_.capabilities);
  command.word("UID FETCH")
      .word(uid_set(batch))
      .word("(UID BODY.PEEK[HEADER.FIELDS (" + std::string(kTokenHeader) + ")])");
  return send(Command::fetch_deleted, command.finish());
}

Action Client::after_fetch_deleted() {
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

Action Client::after_recheck() {
  recheck_ = false;
  std::vector<std::uint32_t> foreign;
  for (std::uint32_t uid : difference(sorted_unique(search_hits_), target_))
    if (!own_deleted_.count(uid)) foreign.push_back(uid);
  if (!foreign.empty()) return skip_expunge(foreign);
  for (const auto& [uid, token] : own_deleted_) {
    if (token != cfg_.token) outcome_.also_expunged.push_back(token);
  }
  transcript_.note("every other \\Deleted message (UIDs " + uid_list(deleted_others_) +
                   ") carries a token of mailcanary's; expunging");
  return expunge();
}

Action Client::skip_expunge(const std::vector<std::uint32_t>& foreign) {
  outcome_.expunge_skipped = true;
  transcript_.note("other messages (UIDs " + uid_list(foreign) +
                   ") are flagged \\Deleted by their owner; not expunging, our probe stays "
                   "flagged \\Deleted");
  return logout();
}

Action Client::expunge() {
  return send(Command::expunge,
              CommandBuilder(next_tag(), outcome_.capabilities).word("EXPUNGE").finish());
}

Action Client::after_expunge() {
  outcome_.deleted_uids = target_;
  return logout();
}

Action Client::logout() {
  return send(Command::logout,
              CommandBuilder(next_tag(), outcome_.capabilities).word("LOGOUT").finish());
}

// ---- Client: reading response data -------------------------------------------------------

void Client::take_capabilities(std::string_view atoms) {
  outcome_.capabilities.clear();
  for (std::string_view atom : split_words(atoms)) outcome_.capabilities.push_back(to_upper(atom));
}

void Client::take_response_code(const Response& r) {
  std::string_view code = r.code;
  const std::string_view name = take_word(code);
  if (iequals(name, "CAPABILITY")) take_capabilities(code);
  if (iequals(name, "UIDVALIDITY")) {
    std::uint32_t value = 0;
    if (parse_u32(code, value)) outcome_.uidvalidity = value;
  }
}

std::optional<Action> Client::take_search(const Response& r) {
  if (cmd_ != Command::search_token && cmd_ != Command::search_deleted) return std::nullopt;
  for (std::string_view word : split_words(r.text)) {
    std::uint32_t uid = 0;
    if (!parse_u32(word, uid)) return fail(Reason::protocol, "malformed SEARCH data", &r);
    search_hits_.push_back(uid);
  }
  return std::nullopt;
}

std::optional<Action> Client::take_fetch(const Response& r) {
  if (cmd_ != Command::fetch_headers && cmd_ != Command::fetch_deleted) {
    return std::nullopt;  // flag updates and the like
  }
  FetchData data;
  if (!parse_fetch(r, data)) return fail(Reason::protocol, "malformed FETCH response", &r);
  if (!data.uid || !data.header) return std::nullopt;
  const std::uint32_t uid = *data.uid;
  if (cmd_ == Command::fetch_deleted) {
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
  if (!std::binary_search(fetch_requested_.begin(), fetch_requested_.end(), uid)) {
    return std::nullopt;  // not a message we asked about
  }
  if (!carries_token(*data.header, cfg_.token)) {
    transcript_.note("UID " + std::to_string(uid) +
                     " matched the search but has no X-Mailcanary-Token field with our token");
    return std::nullopt;
  }
  verified_.emplace(uid, *data.header);
  return std::nullopt;
}

// ---- Client: results and safety ------------------------------------------------------------

std::optional<Action> Client::uidvalidity_changed() {
  if (cfg_.uidvalidity == 0 || outcome_.uidvalidity == cfg_.uidvalidity) return std::nullopt;
  return fail(Reason::protocol, "UIDVALIDITY changed from " + std::to_string(cfg_.uidvalidity) +
                                    " to " + std::to_string(outcome_.uidvalidity) +
                                    ": the UIDs may name other messages; nothing deleted");
}

bool Client::has_capability(std::string_view name) const {
  return has(outcome_.capabilities, name);
}

void Client::record(const Response& r) {
  transcript_.server(scrub_(render(r)));
}

Action Client::succeed() {
  stage_ = Stage::done;
  final_ = Action::finish();
  return final_;
}

Action Client::fail(Reason reason, std::string message, const Response* reply) {
  Failure failure{reason, phase_, scrub_(std::move(message)), std::nullopt};
  if (reply != nullptr) {
    failure.reply = ServerReply{0, scrub_(reply->code), scrub_(reply->text), scrub_(reply->status)};
  }
  transcript_.note("failed (" + std::string(to_string(reason)) + "): " + failure.message);
  stage_ = Stage::done;
  cmd_ = Command::none;
  final_ = Action::fail(std::move(failure));
  return final_;
}

}  // namespace mc::proto::imap
