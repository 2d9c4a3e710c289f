# Writes a file's bytes as C++ source: `const std::string_view mc::assets::NAME`, declared in
# reporters/assets.hpp. Bytes, not a raw string literal, so that any content is taken as it is.
#   cmake -DINPUT=file -DOUTPUT=file.cpp -DNAME=identifier -P embed.cmake
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
set(bytes "")
set(at 0)
while(at LESS hex_length)  # 16 bytes a line
  string(SUBSTRING "${hex}" ${at} 32 line)
  string(REGEX REPLACE "(..)" "'\\\\x\\1'," line "${line}")
  string(APPEND bytes "    ${line}\n")
  math(EXPR at "${at} + 32")
endwhile()
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by cmake/embed.cmake; edit that file instead.
#include \"reporters/assets.hpp\"

namespace mc::assets {
namespace {

const char ${NAME}_bytes[] = {
${bytes}    '\\0'};

}  // namespace

const std::string_view ${NAME}{${NAME}_bytes, ${size}};

}  // namespace mc::assets
")
