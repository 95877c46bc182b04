#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace rr {

/// Lower-case hex of bytes, two characters each: the one encoder for digests and secrets.
[[nodiscard]] std::string toHex(std::span<const std::uint8_t> bytes);

}  // namespace rr
