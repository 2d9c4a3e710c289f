#include "scenarios/steps/registry.hpp"

namespace mc::scn {

const std::vector<const StepKind*>& step_kinds() {
  static const std::vector<const StepKind*> kinds = {
      &smtp_send_kind(),   &imap_wait_kind(), &imap_delete_kind(), &imap_check_kind(),
      &sleep_kind(),       &pop3_wait_kind(), &pop3_delete_kind(), &dns_mx_kind(),
      &dnsbl_check_kind(), &http_get_kind(),
  };
  return kinds;
}

const StepKind* find_step_kind(std::string_view name) {
  for (const StepKind* k : step_kinds())
    if (k->name() == name) return k;
  return nullptr;
}

}  // namespace mc::scn
