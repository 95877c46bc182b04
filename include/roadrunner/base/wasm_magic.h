#pragma once

#include <cstddef>
#include <span>

namespace rr {

/// How many leading bytes `startsLikeWasm` looks at: the magic `\0asm` and the 4-byte version.
inline constexpr std::size_t kWasmHeaderSize = 8;

/// Whether `head` (a module's first bytes) holds a whole Wasm header: at least 8 bytes, starting
/// with `\0asm`. The version is left to WasmEdge. The one check for the engine and the shim.
[[nodiscard]] bool startsLikeWasm(std::span<const std::byte> head) noexcept;

}  // namespace rr
