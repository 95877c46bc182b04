#include "roadrunner/sys/page_move.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace rr::sys {
namespace {

/// A move the kernel answers EAGAIN without progress (a page under migration) is tried again
/// this often before its pages are copied instead.
constexpr int kMoveAttempts = 16;

std::uint64_t address(const std::byte* p) { return reinterpret_cast<std::uintptr_t>(p); }

std::size_t pageSize() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }

/// Copies `len` bytes and clears the source. Cleared, not dropped with MADV_DONTNEED: a
/// source the kernel would not move may be a private file mapping (a payload mapped from a
/// memfd), which would read as the file again, not as zeros.
void copyAndClear(std::byte* dst, std::byte* src, std::size_t len) noexcept {
  std::memcpy(dst, src, len);
  std::memset(src, 0, len);
}

}  // namespace

Result<PageMover> PageMover::open() {
  const long fd = ::syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
  if (fd < 0) {
    return failErrno("userfaultfd", errno);
  }
  UniqueFd owned(static_cast<int>(fd));
  uffdio_api api{};
  api.api = UFFD_API;
  api.features = UFFD_FEATURE_MOVE;
  if (::ioctl(owned.get(), UFFDIO_API, &api) != 0) {
    return failErrno("userfaultfd UFFDIO_API", errno, "UFFD_FEATURE_MOVE (Linux 6.8 or later)");
  }
  if ((api.features & UFFD_FEATURE_MOVE) == 0) {  // a kernel that knows no feature refuses it
    return failErrno("userfaultfd UFFDIO_API", EINVAL, "no UFFD_FEATURE_MOVE");
  }
  return PageMover(std::move(owned));
}

std::size_t PageMover::movePages(std::byte* dst, std::byte* src, std::size_t len,
                                 int* reason) const noexcept {
  // The destination must be unpopulated for its pages to be replaced, and registered.
  if (::madvise(dst, len, MADV_DONTNEED) != 0) {
    *reason = errno;
    return 0;
  }
  uffdio_register reg{};
  reg.range = {.start = address(dst), .len = len};
  reg.mode = UFFDIO_REGISTER_MODE_MISSING;
  if (::ioctl(fd_.get(), UFFDIO_REGISTER, &reg) != 0) {
    *reason = errno;
    return 0;
  }
  std::size_t done = 0;
  for (int attempt = 0; done < len && attempt < kMoveAttempts; ++attempt) {
    uffdio_move move{};
    move.dst = address(dst + done);
    move.src = address(src + done);
    move.len = len - done;
    move.mode = UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES;
    if (::ioctl(fd_.get(), UFFDIO_MOVE, &move) == 0) {
      done = len;
      break;
    }
    *reason = errno;
    if (move.move > 0) {
      done += static_cast<std::size_t>(move.move);
    }
    if (*reason != EAGAIN) {
      break;
    }
  }
  uffdio_range range{.start = address(dst), .len = len};
  (void)::ioctl(fd_.get(), UFFDIO_UNREGISTER, &range);  // cannot fail once registered
  return done;
}

TransferReport PageMover::transfer(std::span<std::byte> dst,
                                   std::span<std::byte> src) const noexcept {
  TransferReport report;
  const std::size_t len = std::min(dst.size(), src.size());
  if (len == 0) {
    return report;
  }
  std::byte* const d = dst.data();
  std::byte* const s = src.data();
  const std::size_t page = pageSize();
  const std::size_t head = (page - address(s) % page) % page;
  const std::size_t middle = head < len ? (len - head) / page * page : 0;
  if (address(s) % page != address(d) % page || middle == 0) {
    copyAndClear(d, s, len);
    return {.moved = 0, .copied = len, .copy_reason = EINVAL};
  }
  const std::size_t tail = len - head - middle;
  int reason = 0;
  const std::size_t moved = movePages(d + head, s + head, middle, &reason);
  // The source's page tables are left empty; dropping them lets the sender's next fill of the
  // range fault whole huge pages again where its memory is advised (a 4 KiB page table in
  // place makes every later fault a 4 KiB one).
  (void)::madvise(s + head, moved, MADV_DONTNEED);  // only holes: nothing to fail on
  if (moved < middle) {
    copyAndClear(d + head + moved, s + head + moved, middle - moved);
  }
  copyAndClear(d, s, head);
  copyAndClear(d + head + middle, s + head + middle, tail);
  report.moved = moved;
  report.copied = len - moved;
  if (moved < middle) {
    report.copy_reason = reason != 0 ? reason : EIO;
  } else if (head + tail > 0) {
    report.copy_reason = EINVAL;
  }
  return report;
}

void discard(std::span<std::byte> range) noexcept {
  const std::size_t page = pageSize();
  const std::size_t head = std::min((page - address(range.data()) % page) % page, range.size());
  const std::size_t middle = (range.size() - head) / page * page;
  std::memset(range.data(), 0, head);
  if (middle > 0) {
    // Fails only for a range that is not mapped, which the caller's bounds checks rule out.
    (void)::madvise(range.data() + head, middle, MADV_DONTNEED);
  }
  std::memset(range.data() + head + middle, 0, range.size() - head - middle);
}

Result<> adviseHugePages(std::span<std::byte> range) {
  // ENOMEM only says that part of the range is not mapped; the mapped parts took the advice.
  if (::madvise(range.data(), range.size(), MADV_HUGEPAGE) != 0 && errno != ENOMEM) {
    return failErrno("madvise(MADV_HUGEPAGE)", errno);
  }
  return {};
}

}  // namespace rr::sys
