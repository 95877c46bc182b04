#pragma once

// What the kernel counts for the calling thread: no policy. @see man 2 getrusage

#include <cstdint>

namespace rr::sys {

/// Page faults the calling thread has taken so far that needed no I/O (RUSAGE_THREAD's
/// ru_minflt): first touches of fresh pages, pages of a mapped file, copy-on-write copies.
[[nodiscard]] std::uint64_t threadMinorFaults() noexcept;

}  // namespace rr::sys
