// What a step logs in with: the account's user, its secret as of now, and its SASL mechanism.
#pragma once

#include <map>
#include <string>

#include "protocols/sasl/mechanism.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/steps/context.hpp"

namespace mc::scn {

// An OAuth 2.0 access token is short-lived and renewed by something else: its file is read
// again for each login (the token read at load time stands when the file cannot be read now).
// An account with an "oauth2" block logs in with the token obtained for it before the scenario
// (scenarios/steps/oauth2_token.hpp). OAUTHBEARER names the server's host and port.
proto::sasl::Credentials sasl_credentials(const StepContext& ctx, const Account& a,
                                          const Server& server);
// The same with the tokens obtained so far given by account name.
proto::sasl::Credentials sasl_credentials(const Account& a, const Server& server,
                                          const std::map<std::string, std::string>& obtained = {});

}  // namespace mc::scn
