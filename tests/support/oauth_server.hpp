// A small OAuth 2.0 authorization server for the end-to-end tier, over HTTPS with the tier's
// certificate (Boost.Beast, one thread): the token introspection endpoint (RFC 7662) that
// Dovecot's oauth2 passdb asks whether an access token is valid and whose it is. Tokens are
// registered by the test; every other token is inactive.
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
  ~OAuthServer();
  OAuthServer(const OAuthServer&) = delete;
  OAuthServer& operator=(const OAuthServer&) = delete;

  // `token` is active and belongs to `user` (the "username" member of the introspection).
  void add_token(const std::string& token, const std::string& user);
  int introspections() const;  // how many introspection requests were answered

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc::test
