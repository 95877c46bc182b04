#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "roadrunner/base/error.h"

namespace rr {

/// Reads a whole file. Errors name the path: "open /x.wasm: No such file or directory".
[[nodiscard]] Result<std::vector<std::byte>> readFile(const std::string& path);

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsync'd, then rename(2).
/// Readers see the old file or the whole new one, never a prefix.
[[nodiscard]] Result<> writeFileAtomic(const std::string& path, std::span<const std::byte> bytes);

}  // namespace rr
