// The step kinds, listed explicitly in registry.cpp: a static library drops self-registering
// objects that nothing references, a list cannot lose one.
#pragma once

#include <string_view>
#include <vector>

#include "scenarios/steps/step.hpp"

namespace mc::scn {

const std::vector<const StepKind*>& step_kinds();
const StepKind* find_step_kind(std::string_view name);  // nullptr when unknown

// Each kind's object, defined in its own file.
const StepKind& smtp_send_kind();
const StepKind& imap_wait_kind();
const StepKind& imap_delete_kind();
const StepKind& imap_check_kind();
const StepKind& sleep_kind();
const StepKind& pop3_wait_kind();
const StepKind& pop3_delete_kind();
const StepKind& dns_mx_kind();
const StepKind& dnsbl_check_kind();
const StepKind& http_get_kind();

}  // namespace mc::scn
