#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "roadrunner/base/error.h"

namespace rr::wasm {

/// A content-addressed cache of AOT-compiled modules shared by every process of the user.
///
/// Key: SHA-256 of the module's bytes + WasmEdge version + optimisation level + interruptible
/// or not + CPU (model and feature flags). Each entry is `<key>.so` with a sidecar
/// `<key>.so.sha256` holding the object's own SHA-256; both are written to temporary files and
/// renamed into place, and an entry whose object does not match its sidecar (truncated, corrupt,
/// half-written) is rebuilt. Processes missing the same entry at once compile it once: the
/// first holds `<key>.so.lock` while it compiles and the others wait for its object.
class AotCache {
 public:
  /// Creates the directory if needed; fails (naming it) if it cannot be created or written.
  [[nodiscard]] static Result<AotCache> open(std::string dir, int opt_level,
                                             bool interruptible = false);

  /// The path of the compiled object for `wasm`, compiling it on a miss.
  struct Entry {
    std::string path;
    bool hit = false;
  };
  [[nodiscard]] Result<Entry> compiled(std::span<const std::byte> wasm,
                                       const std::string& display_name) const;

  /// Whether a verified entry for `wasm` exists.
  [[nodiscard]] bool has(std::span<const std::byte> wasm) const;

  /// The entry's path for `wasm`, whether or not it exists (for tests and `compile`).
  [[nodiscard]] std::string pathFor(std::span<const std::byte> wasm) const;

 private:
  AotCache(std::string dir, int opt_level, bool interruptible)
      : dir_(std::move(dir)), opt_level_(opt_level), interruptible_(interruptible) {}
  std::string dir_;
  int opt_level_;
  bool interruptible_;
};

}  // namespace rr::wasm
