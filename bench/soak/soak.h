#pragma once

// roadrunner soak: many small and many large transfers through each mode, with the process's
// (and its serving children's) resident memory, open descriptors and mappings sampled while it
// runs.

#include <cstdint>
#include <string>
#include <vector>

#include "roadrunner/base/error.h"

namespace rr::bench {

struct SoakOptions {
  /// embedded-move: embedded, each send a move send from a page-aligned buffer.
  std::vector<std::string> systems = {"embedded", "embedded-move", "kernel", "kernel-memfd",
                                      "network"};
  std::uint64_t small = 100000;  ///< 1 KiB transfers
  std::uint64_t large = 1000;    ///< transfers of `large_size`
  std::uint64_t large_size = 16ULL << 20U;
  std::string guest_dir;
  std::string roadrunner_exe = "/proc/self/exe";
};

/// Runs the soak and prints, per system, RSS, descriptor and mapping counts early in the run and
/// at its end. Fails if a transfer failed, descriptors or mappings grew, or RSS grew by more than
/// 10 % between its floor (lowest sample) in 25-50 % of a run and its floor in 75-95 %.
[[nodiscard]] Result<> soak(const SoakOptions& options);

}  // namespace rr::bench
