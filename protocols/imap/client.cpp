#include <utility>

#include "protocols/imap.hpp"

namespace mc::proto::imap {

namespace {

LinkConfig link_config(const Config& cfg) {
  LinkConfig link;
  link.implicit_tls = cfg.implicit_tls;
  link.starttls = cfg.starttls;
  link.user = cfg.user;
  link.secret = cfg.secret;
  link.mechanism = cfg.mechanism;
  link.secret_is_token = cfg.secret_is_token;
  link.sasl_nonce = cfg.sasl_nonce;
  link.allow_plaintext_auth = cfg.allow_plaintext_auth;
  return link;
}

}  // namespace

Client::Client(Config cfg) : cfg_(std::move(cfg)), link_(link_config(cfg_)) {
  steps_.push_back(std::make_unique<Login>(link_));
  switch (cfg_.mode) {
    case Mode::wait: {
      auto wait =
          std::make_unique<Wait>(link_, WaitConfig{cfg_.mailbox, cfg_.token, cfg_.poll_interval});
      wait_ = wait.get();
      steps_.push_back(std::move(wait));
      break;
    }
    case Mode::remove: {
      auto remove = std::make_unique<Delete>(
          link_, DeleteConfig{cfg_.mailbox, cfg_.token, cfg_.uids, cfg_.uidvalidity,
                              cfg_.own_tokens, cfg_.find_only});
      delete_ = remove.get();
      steps_.push_back(std::move(remove));
      break;
    }
    case Mode::check:
      // std::make_unique cannot reach the one-shot constructor.
      steps_.push_back(std::unique_ptr<Check>(
          new Check(link_, CheckConfig{{cfg_.mailbox}, 5}, Check::OneShot{})));
      break;
  }
  steps_.push_back(std::make_unique<Logout>(link_));
  sync();
}

const Transcript& Client::transcript() const {
  return link_.transcript();
}

const Outcome& Client::outcome() const {
  return outcome_;
}

Action Client::start() {
  if (done_) return final_;
  if (cfg_.mode != Mode::check && cfg_.token.empty()) {
    // An empty token would match every probe message ever sent; nothing is sent for it.
    Failure failure{Reason::internal, "greeting", "no probe token to search for", std::nullopt};
    link_.s_.transcript.note("failed (internal): " + failure.message);
    return advance(Action::fail(std::move(failure)));
  }
  return advance(steps_[current_]->start());
}

Action Client::on_written() {
  if (done_) return final_;
  return advance(steps_[current_]->on_written());
}

Action Client::on_input(std::string_view bytes) {
  if (done_) return final_;
  return advance(steps_[current_]->on_input(bytes));
}

Action Client::on_tls() {
  if (done_) return final_;
  return advance(steps_[current_]->on_tls());
}

Action Client::on_waited() {
  if (done_) return final_;
  return advance(steps_[current_]->on_waited());
}

Action Client::advance(Action next) {
  sync();
  while (next.kind == Action::Kind::done && !next.failure && current_ + 1 < steps_.size()) {
    next = steps_[++current_]->start();
    sync();
  }
  if (next.kind == Action::Kind::done) {
    done_ = true;
    final_ = next;
  }
  return next;
}

void Client::sync() {
  outcome_.capabilities = link_.capabilities();
  outcome_.tls = link_.tls();
  outcome_.plaintext_auth = link_.plaintext_auth();
  outcome_.uidvalidity = link_.uidvalidity();
  if (wait_ != nullptr) {
    const WaitOutcome& w = wait_->outcome();
    outcome_.found_uids = w.found_uids;
    outcome_.headers = w.headers;
    outcome_.searches = w.searches;
  }
  if (delete_ != nullptr) {
    const DeleteOutcome& d = delete_->outcome();
    outcome_.headers = d.headers;
    outcome_.deleted_uids = d.deleted_uids;
    outcome_.expunge_skipped = d.expunge_skipped;
    outcome_.also_expunged = d.also_expunged;
  }
}

}  // namespace mc::proto::imap
