#include "roadrunner/base/wasm_magic.h"

#include <algorithm>
#include <array>

namespace rr {

bool startsLikeWasm(std::span<const std::byte> head) noexcept {
  static constexpr std::array kMagic{std::byte{0x00}, std::byte{0x61}, std::byte{0x73},
                                     std::byte{0x6d}};
  return head.size() >= kWasmHeaderSize && std::ranges::equal(head.first(kMagic.size()), kMagic);
}

}  // namespace rr
