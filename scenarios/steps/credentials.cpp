#include "scenarios/steps/credentials.hpp"

#include <fstream>
#include <sstream>

namespace mc::scn {
namespace {

std::string current_token(const Account& a) {
  std::ifstream in(a.token_file, std::ios::binary);
  if (!in) return a.password;
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token.empty() ? a.password : token;
}

}  // namespace

proto::sasl::Credentials sasl_credentials(const StepContext& ctx, const Account& a,
                                          const Server& server) {
  return sasl_credentials(a, server, ctx.oauth2_tokens);
}

proto::sasl::Credentials sasl_credentials(const Account& a, const Server& server,
                                          const std::map<std::string, std::string>& obtained) {
  proto::sasl::Credentials c;
  c.user = a.user;
  c.secret = a.oauth2 && !a.token_file.empty() ? current_token(a) : a.password;
  if (a.grant) {
    const auto it = obtained.find(a.name);
    c.secret = it == obtained.end() ? "" : it->second;
  }
  c.token = a.oauth2;
  c.mechanism = a.mechanism;
  c.host = server.host;
  c.port = server.port;
  return c;
}

}  // namespace mc::scn
