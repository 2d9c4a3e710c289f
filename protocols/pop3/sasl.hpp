// The SASL side of POP3's AUTH (RFC 5034), in one place: a mechanism gives an optional initial
// response and answers each base64 challenge with a base64 response. PLAIN is the one here; any
// other mechanism (SCRAM, OAuth bearer tokens) plugs in through the same interface.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc::proto::pop3 {

class SaslMechanism {
 public:
  virtual ~SaslMechanism() = default;
  virtual std::string name() const = 0;  // as CAPA's SASL line and AUTH name it: "PLAIN"
  // Sent with the AUTH command itself (base64; "=" for an empty one), or nullopt for none.
  virtual std::optional<std::string> initial_response() = 0;
  // The base64 response to a base64 challenge; nullopt cancels the exchange ("*").
  virtual std::optional<std::string> respond(std::string_view challenge) = 0;
  // Every spelling of the secret this mechanism may send or see, for the transcript's redaction.
  virtual std::vector<std::string> secret_forms() const = 0;
};

// RFC 4616: the whole credential in the initial response; any challenge after it is refused.
std::unique_ptr<SaslMechanism> plain_mechanism(std::string user, std::string secret);

}  // namespace mc::proto::pop3
