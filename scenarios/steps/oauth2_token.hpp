// Access tokens for the accounts with an "oauth2" block, obtained before a scenario's first step
// (a probe is not sent when its mailbox cannot be logged into): from the state directory's
// cache while one is good, else from the token endpoint over HTTPS (transport/http), whose
// answer protocols/oauth2 reads. Each lands in StepContext::oauth2_tokens for the logins.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <optional>

#include "codec/failure.hpp"
#include "scenarios/steps/context.hpp"

namespace mc::scn {

struct TokenFailure {
  std::size_t step;  // the first step of the scenario that logs in with that account
  Failure failure;   // auth_failed in phase "oauth2_token"; the message names no secret
};

boost::asio::awaitable<std::optional<TokenFailure>> obtain_oauth2_tokens(StepContext& ctx);

}  // namespace mc::scn
