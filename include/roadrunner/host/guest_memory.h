#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace rr::host {

/// The bytes [offset, offset + len) of a guest's linear memory, or nullopt when any of them lies
/// outside it. `memory` is the whole memory at its current size; the result aliases it.
/// Pure arithmetic, safe for any offset and length (no overflow).
[[nodiscard]] inline std::optional<std::span<std::byte>> guestSlice(std::span<std::byte> memory,
                                                                    std::uint32_t offset,
                                                                    std::uint32_t len) noexcept {
  if (offset > memory.size() || len > memory.size() - offset) {
    return std::nullopt;
  }
  return memory.subspan(offset, len);
}

}  // namespace rr::host
