// A small OAuth 2.0 authorization server for the end-to-end tier, over HTTPS with the tier's
// certificate (Boost.Beast, one thread): the token introspection endpoint (RFC 7662) that
// Dovecot's oauth2 passdb asks whether an access token is valid and whose it is, and a token
// endpoint (RFC 6749) that issues access tokens for the refresh_token and client_credentials
// grants of one registered client. Tokens are registered by the test or issued by the
// endpoint; every other token is inactive.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace mc::test {

class OAuthServer {
 public:
  // Listens on 127.0.0.1:`port` with the PEM certificate chain and key given; throws if it
  // cannot.
  OAuthServer(int port, const std::string& cert_file, const std::string& key_file);
  // Also serves the token endpoint, POST /token, on `token_port` (every route on both ports).
  OAuthServer(int port, int token_port, const std::string& cert_file, const std::string& key_file);
  ~OAuthServer();
  OAuthServer(const OAuthServer&) = delete;
  OAuthServer& operator=(const OAuthServer&) = delete;

  // `token` is active and belongs to `user` (the "username" member of the introspection).
  void add_token(const std::string& token, const std::string& user);
  int introspections() const;  // how many introspection requests were answered
  // The client the token endpoint knows, and whose tokens client_credentials issues.
  void set_client(const std::string& id, const std::string& secret, const std::string& user);
  // `refresh` is a refresh token of `user`.
  void add_refresh_token(const std::string& refresh, const std::string& user);
  int token_requests() const;       // POST /token requests answered
  std::string last_issued() const;  // the last access token the endpoint issued

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc::test
