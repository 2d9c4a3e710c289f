#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mc::codec {

std::string base64_encode(std::string_view in);
// nullopt on characters outside the alphabet or bad padding.
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace mc::codec
