#include "protocols/imap/link.hpp"

#include <utility>

#include "protocols/imap/command.hpp"

namespace mc::proto::imap {

Link::Link(LinkConfig cfg) {
  s_.cfg = std::move(cfg);
  s_.tls = s_.cfg.implicit_tls;
  if (!s_.cfg.secret.empty()) {
    const std::string quoted = quote_astring(s_.cfg.secret);
    std::vector<std::string> forms =
        sasl::secret_forms({s_.cfg.user, s_.cfg.secret, s_.cfg.secret_is_token});
    forms.push_back(quoted.substr(1, quoted.size() - 2));
    s_.scrub = Redactor(std::move(forms));
  }
}

}  // namespace mc::proto::imap
