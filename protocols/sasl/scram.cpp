#include "protocols/sasl/scram.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <vector>

#include "codec/base64.hpp"

namespace mc::proto::sasl::scram {
namespace {

const EVP_MD* digest(Hash h) {
  return h == Hash::sha1 ? EVP_sha1() : EVP_sha256();
}

std::string hmac(Hash h, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(digest(h), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hash(Hash h, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, digest(h), nullptr);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string pbkdf2(Hash h, std::string_view password, std::string_view salt, std::uint32_t i) {
  std::string out(static_cast<std::size_t>(EVP_MD_size(digest(h))), '\0');
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), static_cast<int>(i), digest(h),
                    static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

struct Attribute {
  char name;
  std::string_view value;
};

// "a=value,b=value": each attribute a single letter, '=', and a value without ','.
std::optional<std::vector<Attribute>> attributes(std::string_view msg, std::string& problem) {
  std::vector<Attribute> out;
  if (msg.empty()) {
    problem = "the message is empty";
    return std::nullopt;
  }
  for (std::size_t at = 0; at <= msg.size();) {
    const std::size_t comma = std::min(msg.find(',', at), msg.size());
    const std::string_view part = msg.substr(at, comma - at);
    if (part.size() < 2 || part[1] != '=' ||
        !((part[0] >= 'a' && part[0] <= 'z') || (part[0] >= 'A' && part[0] <= 'Z'))) {
      problem = "\"" + std::string(part.substr(0, 40)) + "\" is not an attribute (a=value)";
      return std::nullopt;
    }
    out.push_back({part[0], part.substr(2)});
    at = comma + 1;
  }
  return out;
}

bool printable(std::string_view s) {
  for (const char c : s)
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  return true;
}

}  // namespace

std::optional<ServerFirst> parse_server_first(std::string_view msg, std::string& problem) {
  const auto attrs = attributes(msg, problem);
  if (!attrs) return std::nullopt;
  if ((*attrs)[0].name == 'm') {
    problem = "the server demands an extension (m=) that SCRAM clients cannot know";
    return std::nullopt;
  }
  if (attrs->size() < 3 || (*attrs)[0].name != 'r' || (*attrs)[1].name != 's' ||
      (*attrs)[2].name != 'i') {
    problem = "expected r=nonce,s=salt,i=iterations";
    return std::nullopt;
  }
  ServerFirst f;
  f.nonce = std::string((*attrs)[0].value);
  if (f.nonce.empty() || !printable(f.nonce)) {
    problem = "the nonce is empty or not printable";
    return std::nullopt;
  }
  auto salt = codec::base64_decode((*attrs)[1].value);
  if (!salt || salt->empty()) {
    problem = "the salt is empty or not base64";
    return std::nullopt;
  }
  f.salt = std::move(*salt);
  const std::string_view i = (*attrs)[2].value;
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(i.data(), i.data() + i.size(), n);
  if (ec != std::errc() || end != i.data() + i.size() || i.empty() || i[0] == '+' || n == 0) {
    problem = "the iteration count \"" + std::string(i.substr(0, 20)) + "\" is not a number";
    return std::nullopt;
  }
  if (n > kMaxIterations) {
    problem = "the server asks for " + std::string(i) + " iterations, more than the limit of " +
              std::to_string(kMaxIterations);
    return std::nullopt;
  }
  f.iterations = static_cast<std::uint32_t>(n);
  return f;
}

std::optional<ServerFinal> parse_server_final(std::string_view msg, std::string& problem) {
  const auto attrs = attributes(msg, problem);
  if (!attrs) return std::nullopt;
  ServerFinal f;
  const Attribute& first = (*attrs)[0];
  if (first.name == 'e') {
    f.error = std::string(first.value.substr(0, 80));
    if (f.error.empty() || !printable(f.error)) f.error = "unspecified";
    return f;
  }
  if (first.name != 'v') {
    problem = "expected v=signature or e=error";
    return std::nullopt;
  }
  auto sig = codec::base64_decode(first.value);
  if (!sig || sig->empty()) {
    problem = "the server signature is empty or not base64";
    return std::nullopt;
  }
  f.signature = std::move(*sig);
  return f;
}

std::string saslname(std::string_view user) {
  std::string out;
  for (const char c : user) {
    if (c == '=')
      out += "=3D";
    else if (c == ',')
      out += "=2C";
    else
      out += c;
  }
  return out;
}

Proof prove(Hash h, std::string_view password, std::string_view client_first_bare,
            std::string_view server_first, const ServerFirst& parsed) {
  const std::string salted = pbkdf2(h, password, parsed.salt, parsed.iterations);
  const std::string client_key = hmac(h, salted, "Client Key");
  const std::string stored_key = hash(h, client_key);
  const std::string without_proof = "c=biws,r=" + parsed.nonce;  // biws: base64 of "n,,"
  const std::string auth_message =
      std::string(client_first_bare) + "," + std::string(server_first) + "," + without_proof;
  std::string proof = hmac(h, stored_key, auth_message);
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= client_key[i];
  const std::string server_key = hmac(h, salted, "Server Key");
  return {without_proof + ",p=" + codec::base64_encode(proof), hmac(h, server_key, auth_message)};
}

}  // namespace mc::proto::sasl::scram
