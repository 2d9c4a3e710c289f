// Files of reporters/assets/, built into the binary: cmake/embed.cmake turns each into a
// generated source file at build time, again whenever the file changes.
#pragma once

#include <string_view>

namespace mc::assets {

extern const std::string_view report_css;  // reporters/assets/report.css, the HTML report's style

}  // namespace mc::assets
