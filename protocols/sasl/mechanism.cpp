#include "protocols/sasl/mechanism.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>

#include "codec/base64.hpp"
#include "protocols/sasl/scram.hpp"

namespace mc::proto::sasl {
namespace {

using codec::base64_encode;

constexpr EnumName<Mechanism> kWireNames[] = {
    {Mechanism::plain, "PLAIN"},
    {Mechanism::login, "LOGIN"},
    {Mechanism::scram_sha_1, "SCRAM-SHA-1"},
    {Mechanism::scram_sha_256, "SCRAM-SHA-256"},
    {Mechanism::xoauth2, "XOAUTH2"},
    {Mechanism::oauthbearer, "OAUTHBEARER"},
};
static_assert(names_all(kWireNames, Mechanism::oauthbearer), "a Mechanism without its name");

constexpr Mechanism kPasswordOrder[] = {Mechanism::scram_sha_256, Mechanism::plain,
                                        Mechanism::login};
constexpr Mechanism kTokenOrder[] = {Mechanism::oauthbearer, Mechanism::xoauth2};

Answer abort(std::string problem) {
  return {{}, true, std::move(problem)};
}
Answer violation(std::string problem) {
  return {{}, true, std::move(problem), true};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// What a server put in words into a challenge, safe to quote: printable, short, and without
// the secret should the server echo it.
std::string quoted(std::string_view text, std::string_view secret) {
  std::string out;
  for (const char c : text.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (!secret.empty())
    for (std::size_t at = out.find(secret); at != std::string::npos; at = out.find(secret))
      out.replace(at, secret.size(), "<redacted>");
  return out;
}

// The "status" member of an RFC 7628 3.2.2 error (a JSON object), or the whole text when none.
std::string oauth_status(std::string_view json) {
  const std::size_t key = json.find("\"status\"");
  if (key != std::string_view::npos) {
    const std::size_t open = json.find('"', json.find(':', key));
    const std::size_t close = open == std::string_view::npos ? open : json.find('"', open + 1);
    if (close != std::string_view::npos)
      return std::string(json.substr(open + 1, close - open - 1));
  }
  return std::string(json);
}

class Plain final : public Exchange {
 public:
  explicit Plain(Credentials c) : c_(std::move(c)) {}
  Mechanism mechanism() const override { return Mechanism::plain; }
  std::optional<std::string> initial_response() override {
    return std::string(1, '\0') + c_.user + '\0' + c_.secret;
  }
  Answer challenge(std::string_view) override {
    return violation("the server sent a challenge to PLAIN, which has none");
  }
  std::vector<std::string> secret_forms() const override {
    return {c_.secret, base64_encode(c_.secret), base64_encode(*Plain(c_).initial_response())};
  }

 private:
  Credentials c_;
};

// Not a standard, but what Exchange and older servers offer: the user name and the password,
// each the answer to a prompt ("Username:", "Password:").
class Login final : public Exchange {
 public:
  explicit Login(Credentials c) : c_(std::move(c)) {}
  Mechanism mechanism() const override { return Mechanism::login; }
  std::optional<std::string> initial_response() override { return std::nullopt; }
  Answer challenge(std::string_view prompt) override {
    const std::string p = lower(prompt);
    const bool wants_password =
        p.find("pass") != std::string::npos || (p.find("user") == std::string::npos && sent_user_);
    if (wants_password) {
      if (sent_secret_) return abort("the server asked for the password twice");
      sent_secret_ = true;
      return {c_.secret, false, {}};
    }
    if (sent_user_) return abort("the server asked for the user name twice");
    sent_user_ = true;
    return {c_.user, false, {}};
  }
  std::vector<std::string> secret_forms() const override {
    return {c_.secret, base64_encode(c_.secret)};
  }

 private:
  Credentials c_;
  bool sent_user_ = false;
  bool sent_secret_ = false;
};

class Scram final : public Exchange {
 public:
  Scram(Mechanism m, Credentials c) : m_(m), c_(std::move(c)) {
    if (c_.nonce.empty()) {
      unsigned char raw[24];
      RAND_bytes(raw, sizeof raw);
      c_.nonce = base64_encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
    }
    first_bare_ = "n=" + scram::saslname(c_.user) + ",r=" + c_.nonce;
  }
  Mechanism mechanism() const override { return m_; }
  std::optional<std::string> initial_response() override { return "n,," + first_bare_; }

  Answer challenge(std::string_view data) override {
    std::string problem;
    switch (stage_) {
      case Stage::first: {
        const auto first = scram::parse_server_first(data, problem);
        if (!first) return abort("malformed SCRAM server-first message: " + problem);
        if (first->nonce.size() <= c_.nonce.size() || !first->nonce.starts_with(c_.nonce)) {
          return abort("the SCRAM server nonce does not extend the client's");
        }
        const scram::Proof proof = scram::prove(hash(), c_.secret, first_bare_, data, *first);
        expected_ = proof.server_signature;
        stage_ = Stage::final;
        return {proof.client_final, false, {}};
      }
      case Stage::final: {
        const auto final = scram::parse_server_final(data, problem);
        stage_ = Stage::done;
        if (!final) return abort("malformed SCRAM server-final message: " + problem);
        if (!final->error.empty()) return abort("the server refused the proof: " + final->error);
        if (final->signature.size() != expected_.size() ||
            CRYPTO_memcmp(final->signature.data(), expected_.data(), expected_.size()) != 0) {
          return abort(
              "the SCRAM server signature is wrong: the server could not prove it knows the "
              "password");
        }
        verified_ = true;
        return {"", false, {}};
      }
      case Stage::done:
        break;
    }
    return violation("the server sent a challenge after the SCRAM exchange ended");
  }

  std::optional<std::string> succeeded() const override {
    if (verified_) return std::nullopt;
    return "the server accepted without proving it knows the password (no SCRAM server "
           "signature)";
  }
  std::vector<std::string> secret_forms() const override {
    return {c_.secret, base64_encode(c_.secret)};
  }

 private:
  enum class Stage { first, final, done };
  scram::Hash hash() const {
    return m_ == Mechanism::scram_sha_1 ? scram::Hash::sha1 : scram::Hash::sha256;
  }

  Mechanism m_;
  Credentials c_;
  std::string first_bare_;
  std::string expected_;
  Stage stage_ = Stage::first;
  bool verified_ = false;
};

// XOAUTH2 (developers.google.com/gmail/imap/xoauth2-protocol) and OAUTHBEARER (RFC 7628): the
// access token as a bearer credential. A refusal comes first as a challenge with a JSON status,
// which the client acknowledges (XOAUTH2: an empty response; OAUTHBEARER: %x01).
class Bearer final : public Exchange {
 public:
  Bearer(Mechanism m, Credentials c) : m_(m), c_(std::move(c)) {}
  Mechanism mechanism() const override { return m_; }
  std::optional<std::string> initial_response() override { return message(); }
  Answer challenge(std::string_view data) override {
    if (answered_) return violation("the server sent a second challenge after the token's refusal");
    answered_ = true;
    detail_ = "the server's status: " + quoted(oauth_status(data), c_.secret);
    return {m_ == Mechanism::oauthbearer ? std::string(1, '\x01') : std::string(), false, {}};
  }
  std::string refusal_detail() const override { return detail_; }
  std::vector<std::string> secret_forms() const override {
    return {c_.secret, base64_encode(c_.secret), base64_encode(message())};
  }

 private:
  std::string message() const {
    if (m_ == Mechanism::xoauth2)
      return "user=" + c_.user + "\x01" + "auth=Bearer " + c_.secret + "\x01\x01";
    std::string m = "n,a=" + scram::saslname(c_.user) + ",";
    if (!c_.host.empty()) m += "\x01host=" + c_.host;
    if (c_.port > 0) m += "\x01port=" + std::to_string(c_.port);
    return m + "\x01" + "auth=Bearer " + c_.secret + "\x01\x01";
  }

  Mechanism m_;
  Credentials c_;
  bool answered_ = false;
  std::string detail_;
};

bool offered_by(Mechanism m, const std::vector<std::string>& offered) {
  return std::find(offered.begin(), offered.end(), wire_name(m)) != offered.end();
}

}  // namespace

std::string_view wire_name(Mechanism m) {
  return name_of(kWireNames, m);
}

bool uses_token(Mechanism m) {
  return m == Mechanism::xoauth2 || m == Mechanism::oauthbearer;
}

std::optional<Mechanism> choose(const Credentials& c, const std::vector<std::string>& offered) {
  if (c.mechanism)
    return offered_by(*c.mechanism, offered) ? c.mechanism : std::optional<Mechanism>();
  if (c.token) {
    for (const Mechanism m : kTokenOrder)
      if (offered_by(m, offered)) return m;
    return std::nullopt;
  }
  for (const Mechanism m : kPasswordOrder)
    if (offered_by(m, offered)) return m;
  return std::nullopt;
}

std::string wanted(const Credentials& c) {
  if (c.mechanism) return std::string(wire_name(*c.mechanism));
  return c.token ? "OAUTHBEARER or XOAUTH2" : "SCRAM-SHA-256, PLAIN or LOGIN";
}

Answer Exchange::challenge_base64(std::string_view data) {
  const std::optional<std::string> raw = codec::base64_decode(data);
  if (!raw) return abort("the server's challenge is not base64");
  Answer a = challenge(*raw);
  if (!a.abort) a.response = base64_encode(a.response);
  return a;
}

std::unique_ptr<Exchange> start(Mechanism m, Credentials c) {
  switch (m) {
    case Mechanism::plain:
      return std::make_unique<Plain>(std::move(c));
    case Mechanism::login:
      return std::make_unique<Login>(std::move(c));
    case Mechanism::scram_sha_1:
    case Mechanism::scram_sha_256:
      return std::make_unique<Scram>(m, std::move(c));
    case Mechanism::xoauth2:
    case Mechanism::oauthbearer:
      return std::make_unique<Bearer>(m, std::move(c));
  }
  return nullptr;
}

std::vector<std::string> secret_forms(const Credentials& c) {
  std::vector<std::string> forms;
  if (c.secret.empty()) return forms;
  Credentials fixed = c;
  fixed.nonce = "n";  // no random bytes for an exchange that is never run
  for (const auto& [m, key] : kMechanismKeys) {
    for (std::string& form : start(m, fixed)->secret_forms())
      if (std::find(forms.begin(), forms.end(), form) == forms.end())
        forms.push_back(std::move(form));
  }
  return forms;
}

}  // namespace mc::proto::sasl
