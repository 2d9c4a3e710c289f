// SCRAM (RFC 5802) messages and proofs, for SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 7677). The
// parsers take the server's messages as they come, so a hostile server gets no further than a
// problem in words. Channel binding is not used ("n,,"), as SMTP and IMAP clients do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mc::proto::sasl::scram {

enum class Hash { sha1, sha256 };

// A server that asks for more iterations than this would make the probe spend its deadline on
// PBKDF2; RFC 7677 asks for at least 4096, and the largest deployed counts stay far below it.
inline constexpr std::uint32_t kMaxIterations = 1'000'000;

struct ServerFirst {
  std::string nonce;  // the client's nonce followed by the server's
  std::string salt;   // decoded
  std::uint32_t iterations = 0;
};

// "r=...,s=...,i=..." with optional extensions after i; nullopt and `problem` when malformed
// (an "m=" mandatory extension is refused as RFC 5802 5.1 says).
std::optional<ServerFirst> parse_server_first(std::string_view msg, std::string& problem);

struct ServerFinal {
  std::string signature;  // decoded "v=" value; empty when the server sent an error
  std::string error;      // "e=" value, e.g. "invalid-proof"
};
std::optional<ServerFinal> parse_server_final(std::string_view msg, std::string& problem);

// The user name as a saslname: "=" and "," escaped as "=3D" and "=2C".
std::string saslname(std::string_view user);

struct Proof {
  std::string client_final;      // "c=biws,r=...,p=..."
  std::string server_signature;  // what the server's "v=" must decode to
};
// The client-final message and the server signature expected, from the password and the
// exchange so far.
Proof prove(Hash h, std::string_view password, std::string_view client_first_bare,
            std::string_view server_first, const ServerFirst& parsed);

}  // namespace mc::proto::sasl::scram
