#pragma once

#include <optional>
#include <string>

#include "results/result.hpp"

namespace mc {

// Writes the result document to `path`, or to stdout for "-". A file is replaced atomically
// (temporary file, fsync, rename) so readers never see half a document. Returns an error text.
std::optional<std::string> write_json_result(const std::string& path, const RunResult& run);

// Appends the result document as one line to `path` (JSON Lines), then fsyncs it, so a history
// survives crashes. Returns an error text.
std::optional<std::string> append_json_line(const std::string& path, const RunResult& run);

// Writes `content` to `path` atomically: temporary file in the same directory, fsync, rename.
std::optional<std::string> write_file_atomically(const std::string& path,
                                                 const std::string& content);

}  // namespace mc
