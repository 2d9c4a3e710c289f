#include "codec/failure.hpp"

namespace mc {

std::string_view to_string(Reason r) {
  return name_of(kReasonNames, r, "internal");
}

}  // namespace mc
