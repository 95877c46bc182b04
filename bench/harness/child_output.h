#pragma once

// What a benchmark child process writes on its pipes, read with a deadline: the peer program's
// result line (bench/baselines/peers.cc) and its producer's rounds (bench/peers/).

#include <chrono>
#include <cstddef>
#include <string>

#include "roadrunner/base/error.h"

namespace rr::bench {

/// A child's stdout and stderr, as far as it wrote them.
struct ChildOutput {
  std::string out;
  std::string err;
};

/// Reads `out_fd` and `err_fd` (-1: not read) until both reach end of file, keeping at most
/// `limit` bytes of each (the rest is read and dropped). Borrows the descriptors. Errors:
/// kTimedOut when `deadline` passes first (with what arrived so far in the detail), poll's.
[[nodiscard]] Result<ChildOutput> readUntilClosed(int out_fd, int err_fd,
                                                  std::chrono::steady_clock::time_point deadline,
                                                  std::size_t limit = std::size_t{1} << 20U);

}  // namespace rr::bench
