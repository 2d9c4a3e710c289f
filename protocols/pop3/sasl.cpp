#include "protocols/pop3/sasl.hpp"

#include "codec/base64.hpp"

namespace mc::proto::pop3 {
namespace {

class Plain final : public SaslMechanism {
 public:
  Plain(std::string user, std::string secret)
      : response_(codec::base64_encode(std::string(1, '\0') + user + '\0' + secret)),
        secret_(std::move(secret)) {}
  std::string name() const override { return "PLAIN"; }
  std::optional<std::string> initial_response() override { return response_; }
  std::optional<std::string> respond(std::string_view) override { return std::nullopt; }
  std::vector<std::string> secret_forms() const override {
    return {response_, secret_, codec::base64_encode(secret_)};
  }

 private:
  std::string response_;
  std::string secret_;
};

}  // namespace

std::unique_ptr<SaslMechanism> plain_mechanism(std::string user, std::string secret) {
  return std::make_unique<Plain>(std::move(user), std::move(secret));
}

}  // namespace mc::proto::pop3
