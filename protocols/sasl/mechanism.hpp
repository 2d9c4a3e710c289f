// SASL mechanisms as sans-I/O exchanges (RFC 4422): raw bytes in, raw bytes out. The protocol
// (SMTP AUTH, IMAP AUTHENTICATE, POP3 AUTH) carries them, base64-encoded, and decides what a
// refusal means; a mechanism only knows its own messages. PLAIN (RFC 4616), LOGIN, SCRAM-SHA-1
// and SCRAM-SHA-256 (RFC 5802, 7677; the server's signature is verified), XOAUTH2 (Google's
// and Microsoft's) and OAUTHBEARER (RFC 7628).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/enum_names.hpp"

namespace mc::proto::sasl {

enum class Mechanism { plain, login, scram_sha_1, scram_sha_256, xoauth2, oauthbearer };

// Names as scenario files spell them (lower case) and as servers announce them.
inline constexpr EnumName<Mechanism> kMechanismKeys[] = {
    {Mechanism::plain, "plain"},
    {Mechanism::login, "login"},
    {Mechanism::scram_sha_1, "scram-sha-1"},
    {Mechanism::scram_sha_256, "scram-sha-256"},
    {Mechanism::xoauth2, "xoauth2"},
    {Mechanism::oauthbearer, "oauthbearer"},
};
static_assert(names_all(kMechanismKeys, Mechanism::oauthbearer), "a Mechanism without its key");
std::string_view wire_name(Mechanism m);  // "SCRAM-SHA-256"
bool uses_token(Mechanism m);             // the secret is an OAuth 2.0 access token

struct Credentials {
  std::string user;
  std::string secret;  // the password, or the OAuth 2.0 access token when `token`
  bool token = false;
  // The mechanism the account names; nullopt: the best the server offers (choose()).
  std::optional<Mechanism> mechanism{};
  // SCRAM's client nonce; empty: 24 random bytes. Tests fix it to replay published exchanges.
  std::string nonce{};
  // Where the mechanism needs them (OAUTHBEARER's gs2 header host and port): the server's.
  std::string host{};
  int port = 0;
};

// The mechanism to use for these credentials among the names the server offers (upper case,
// as in EHLO's AUTH or IMAP's AUTH=): the account's when it names one (if offered), else with a
// token OAUTHBEARER over XOAUTH2, else SCRAM-SHA-256 over PLAIN over LOGIN. SCRAM-SHA-1 is
// chosen only when the account asks for it.
std::optional<Mechanism> choose(const Credentials& c, const std::vector<std::string>& offered);
// "SCRAM-SHA-256, PLAIN or LOGIN": what choose() looks for, for a failure message.
std::string wanted(const Credentials& c);

// What the client answers to a challenge.
struct Answer {
  std::string response;  // raw bytes, before the protocol's base64
  // The exchange failed on the client's side (the server's SCRAM signature is wrong, a
  // challenge is malformed): send the protocol's cancel ("*") instead; `problem` says why.
  bool abort = false;
  std::string problem;
  // With abort: the server broke the mechanism's rules (a challenge where none belongs), which
  // the protocol reports as a protocol failure rather than a refused login.
  bool protocol = false;
};

// One run of one mechanism.
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual Mechanism mechanism() const = 0;
  // The first client message (sent with the command where the protocol allows it, else after
  // an empty challenge); nullopt for mechanisms that wait for the server (LOGIN).
  virtual std::optional<std::string> initial_response() = 0;
  virtual Answer challenge(std::string_view data) = 0;
  // The server said the exchange succeeded: nullopt if the client agrees, else why not (SCRAM:
  // the server never proved that it knows the password).
  virtual std::optional<std::string> succeeded() const { return std::nullopt; }
  // The server refused: what the mechanism learnt of why (OAUTHBEARER's JSON status), or "".
  virtual std::string refusal_detail() const { return {}; }
  // Every form of a secret the exchange puts on the wire (raw and base64), for the redactor.
  virtual std::vector<std::string> secret_forms() const = 0;

  // For protocols that carry SASL in base64 (POP3 AUTH, RFC 5034): the base64 of the answer to
  // a base64 challenge; a challenge that is not base64 aborts.
  Answer challenge_base64(std::string_view data);
  std::string name() const { return std::string(wire_name(mechanism())); }
};

std::unique_ptr<Exchange> start(Mechanism m, Credentials c);

// What every mechanism could put on the wire for these credentials: a redactor made of these
// covers the secret whichever mechanism the server's offer leads to.
std::vector<std::string> secret_forms(const Credentials& c);

}  // namespace mc::proto::sasl
