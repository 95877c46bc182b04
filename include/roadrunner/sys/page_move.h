#pragma once

// Handing bytes from one range of this process's memory to another without copying them: whole
// pages move with userfaultfd's UFFDIO_MOVE (Linux 6.8 and later), which rewrites page-table
// entries and leaves no new mapping behind. What cannot move is copied, and the report says so.
// @see man 2 userfaultfd, man 2 ioctl_userfaultfd

#include <cstddef>
#include <span>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"

namespace rr::sys {

/// How one transfer went. moved + copied is always the transfer's length.
struct TransferReport {
  std::size_t moved = 0;   ///< bytes whose pages moved (unpopulated source pages included)
  std::size_t copied = 0;  ///< bytes copied instead
  /// Why bytes were copied, 0 if none were: EINVAL when the ranges' offsets within a page
  /// differ (no page can move) or for the partial pages at the ends, else the errno of the
  /// registration or move the kernel refused (EBUSY: a page is pinned or shared; EINVAL: the
  /// destination is not private anonymous memory).
  int copy_reason = 0;
};

/// A userfaultfd opened for UFFDIO_MOVE (user-mode faults only, so unprivileged processes may
/// open it whatever vm.unprivileged_userfaultfd says).
///
/// Ownership: owns the descriptor. A destination range is registered with it only during a
/// transfer, so first touches of memory elsewhere zero-fill as usual.
/// Thread-safety: transfers on disjoint ranges may run concurrently.
class PageMover {
 public:
  /// Errors: ENOSYS (no userfaultfd), EPERM (forbidden), EINVAL (the kernel has no
  /// UFFD_FEATURE_MOVE: older than 6.8).
  [[nodiscard]] static Result<PageMover> open();

  /// Hands the bytes of `src` to `dst` (equal sizes) and leaves `src` reading as zeros: the
  /// whole pages both ranges share an offset for move, the rest is copied and its source
  /// cleared. `dst`'s earlier contents are discarded.
  ///
  /// Preconditions (the caller's bounds checks): both ranges lie in mapped, read-write memory
  /// of this process, do not overlap, and no other thread touches them during the call (a
  /// touch of the destination while it is registered would wait for a fault handler there is
  /// none of). Only private anonymous memory moves; other memory is copied.
  TransferReport transfer(std::span<std::byte> dst, std::span<std::byte> src) const noexcept;

 private:
  explicit PageMover(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  /// Moves whole pages; returns the bytes moved before the kernel refused (errno in *reason).
  std::size_t movePages(std::byte* dst, std::byte* src, std::size_t len,
                        int* reason) const noexcept;

  UniqueFd fd_;
};

/// Makes `range` read as zeros, holding no memory where it can: its whole pages are dropped
/// (MADV_DONTNEED) and the partial pages at its ends cleared. For private anonymous memory only:
/// a private file mapping would read as the file again.
void discard(std::span<std::byte> range) noexcept;

/// The size of a huge page: a transfer between ranges aligned to it moves one page-table entry
/// per huge page instead of one per 4 KiB page.
inline constexpr std::size_t kHugePageSize = std::size_t{2} << 20;

/// Asks the kernel to back `range` with huge pages as it is first touched (MADV_HUGEPAGE;
/// transparent huge pages are opt-in on most distributions). Pages already present stay as they
/// are; a mapping that later replaces part of `range` (mmap with MAP_FIXED) comes without the
/// advice, while one grown in place (mremap) keeps it. Unmapped holes in `range` are skipped.
/// Errors: EINVAL (no transparent huge pages in this kernel).
[[nodiscard]] Result<> adviseHugePages(std::span<std::byte> range);

}  // namespace rr::sys
