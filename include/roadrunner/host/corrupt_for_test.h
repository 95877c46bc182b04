#pragma once

#include <cstdint>

namespace rr::host {

/// Deliberate damage to the bytes a receiver is handed, so that tests can show the checks of the
/// benchmark and the suite catch a broken data path. Applied where every mode lands its payload
/// (FunctionActor::handle), so embedded, kernel (socket and memfd) and network are all covered.
enum class Corruption : std::uint8_t {
  kNone,
  kSkipCopy,     ///< the payload never reaches the receiver's buffer
  kStaleBuffer,  ///< only the receiver's first payload does; later ones leave the buffer as it was
  kFlipByte,     ///< one byte in the middle of each payload is changed
};

/// RR_CORRUPT_FOR_TEST (skip, stale or flip) in builds made with RR_TEST_HOOKS (the dev, asan
/// and tsan presets); kNone otherwise. Release builds never read it.
[[nodiscard]] Corruption corruptionForTest();

}  // namespace rr::host
