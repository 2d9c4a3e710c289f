// The scripted dialogue harness of the POP3 client tests: the test plays the server and checks
// every line the client writes and every action it asks for. No sockets, no clocks.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "codec/base64.hpp"
#include "protocols/pop3/client.hpp"

namespace pop3_dialogue {

using mc::Reason;
using mc::proto::Action;
using mc::proto::StartTls;
using mc::proto::pop3::Client;
using mc::proto::pop3::Config;
using mc::proto::pop3::Mode;
using Kind = Action::Kind;

const std::string kUser = "probe@example.test";
const std::string kSentinel = "S3ntinel-P4ss!";
const std::string kToken = "3f9a0c1d2e4b5a69788776655443322";
const std::string kPlain =
    mc::codec::base64_encode(std::string(1, '\0') + kUser + '\0' + kSentinel);

inline Config config(Mode mode = Mode::find) {
  Config c;
  c.user = kUser;
  c.secret = kSentinel;
  c.token = kToken;
  c.mode = mode;
  return c;
}

struct Dialogue {
  explicit Dialogue(Config cfg) : client(std::move(cfg)) { last = client.start(); }
  Dialogue& S(const std::string& bytes) {
    REQUIRE(last.kind == Kind::read);
    last = client.on_input(bytes);
    return *this;
  }
  Dialogue& C(const std::string& line, const std::string& phase = "") {
    INFO("expected " << line);
    REQUIRE(last.kind == Kind::write);
    REQUIRE(last.data == line + "\r\n");
    if (!phase.empty()) CHECK(last.phase == phase);
    last = client.on_written();
    return *this;
  }
  Dialogue& tls() {
    REQUIRE(last.kind == Kind::start_tls);
    CHECK(last.phase == "tls_handshake");
    last = client.on_tls();
    return *this;
  }
  void succeeded() const {
    REQUIRE(last.kind == Kind::done);
    REQUIRE_FALSE(last.failure);
  }
  void failed(Reason reason, const std::string& phase) const {
    REQUIRE(last.kind == Kind::done);
    REQUIRE(last.failure);
    CHECK(last.failure->reason == reason);
    CHECK(last.failure->phase == phase);
  }
  // The password is in no line of the transcript, nor in the failure, in any spelling.
  void no_secret() const {
    for (const auto& l : client.transcript().lines()) {
      INFO(l.text);
      CHECK(l.text.find(kSentinel) == std::string::npos);
      CHECK(l.text.find(kPlain) == std::string::npos);
    }
    if (last.failure) {
      CHECK(last.failure->message.find(kSentinel) == std::string::npos);
      if (last.failure->reply)
        CHECK(last.failure->reply->text.find(kSentinel) == std::string::npos);
    }
  }
  Client client;
  Action last;
};

}  // namespace pop3_dialogue
