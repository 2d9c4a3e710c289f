#include "protocols/imap/link.hpp"

#include <utility>

#include "codec/base64.hpp"
#include "protocols/imap/command.hpp"

namespace mc::proto::imap {

Link::Link(LinkConfig cfg) {
  s_.cfg = std::move(cfg);
  s_.tls = s_.cfg.implicit_tls;
  if (!s_.cfg.secret.empty()) {
    const std::string quoted = quote_astring(s_.cfg.secret);
    s_.scrub = Redactor({
        codec::base64_encode(std::string(1, '\0') + s_.cfg.user + '\0' + s_.cfg.secret),
        quoted.substr(1, quoted.size() - 2),
        s_.cfg.secret,
        codec::base64_encode(s_.cfg.secret),
    });
  }
}

}  // namespace mc::proto::imap
