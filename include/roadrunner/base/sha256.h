#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "roadrunner/base/error.h"
#include "roadrunner/base/hex.h"  // toHex, for digests

namespace rr {

using Sha256 = std::array<std::uint8_t, 32>;

/// SHA-256 of a byte range (OpenSSL's libcrypto). Thread-safe. Aborts if libcrypto fails (out
/// of memory): a digest is never made up.
[[nodiscard]] Sha256 sha256(std::span<const std::byte> bytes);

}  // namespace rr
