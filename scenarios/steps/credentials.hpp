// What a step logs in with: the account's user, its secret as of now, and its SASL mechanism.
#pragma once

#include "protocols/sasl/mechanism.hpp"
#include "scenarios/scenario.hpp"

namespace mc::scn {

// An OAuth 2.0 access token is short-lived and renewed by something else: its file is read
// again for each login (the token read at load time stands when the file cannot be read now).
// OAUTHBEARER names the server's host and port.
proto::sasl::Credentials sasl_credentials(const Account& a, const Server& server);

}  // namespace mc::scn
