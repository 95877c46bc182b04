#pragma once

// Reading a mapping page by page while counting the faults it takes: how the sys tests tell
// whose page tables are populated, and how many pages one entry maps.

#include <cstddef>
#include <cstdint>
#include <span>

#include "roadrunner/sys/usage.h"

namespace rr::testing {

/// Reads the first word of every 4 KiB page of `view`; returns the page faults the calling
/// thread took and, in `wrong`, the pages whose first word was not their index. Uninstrumented:
/// a sanitizer's check of each load would touch its shadow memory, whose first-touch faults
/// would count here too.
__attribute__((no_sanitize("address", "thread"))) inline std::uint64_t readEveryPage(
    std::span<const std::byte> view, std::size_t& wrong) {
  const std::uint64_t before = sys::threadMinorFaults();
  wrong = 0;
  for (std::size_t off = 0; off < view.size(); off += 4096) {
    const auto* word = reinterpret_cast<const volatile std::size_t*>(view.data() + off);
    wrong += *word == off / 4096 ? 0U : 1U;
  }
  return sys::threadMinorFaults() - before;
}

}  // namespace rr::testing
