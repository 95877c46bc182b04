#pragma once

// Which CPU a thread runs on, and moving it to another: no policy. @see man 2 sched_getcpu,
// man 2 sched_setaffinity

namespace rr::sys {

/// The CPU the calling thread runs on now, or -1 if the kernel does not say.
[[nodiscard]] int currentCpu() noexcept;

/// Moves the calling thread off the CPU it runs on, to another it may run on: its affinity
/// excludes that CPU for one call, then is what it was again (the kernel leaves the thread where
/// it moved it; the scheduler may move it back later). False, and nothing changed, where the
/// thread may run on one CPU only or the kernel refused.
bool moveOffThisCpu() noexcept;

}  // namespace rr::sys
