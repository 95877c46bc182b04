#pragma once

// Memory mappings: no policy. @see man 2 mmap

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"

namespace rr::sys {

/// One mapping, unmapped by its destructor. Move-only; an empty Mapping (default or moved from)
/// unmaps nothing, so a range is never unmapped twice.
///
/// Ownership: owns [data(), data() + size()). Replacing an owner's mapping is "make the new one,
/// then move-assign": the old one is unmapped only once the new one exists.
/// Thread-safety: none (like any value); the bytes are shared like any memory.
class Mapping {
 public:
  Mapping() noexcept = default;
  /// `size` bytes of `fd` from `offset` (MAP_SHARED or MAP_PRIVATE in `flags`), or anonymous
  /// memory with fd -1 and MAP_ANONYMOUS. Errors: mmap's (ENOMEM, EACCES, ENODEV...).
  [[nodiscard]] static Result<Mapping> map(std::size_t size, int prot, int flags, int fd = -1,
                                           off_t offset = 0);
  Mapping(Mapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { reset(); }

  [[nodiscard]] std::byte* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::span<std::byte> bytes() const noexcept { return {data_, size_}; }
  [[nodiscard]] bool valid() const noexcept { return data_ != nullptr; }
  /// Unmaps now (if anything is mapped); the Mapping is empty afterwards.
  void reset() noexcept;

 private:
  Mapping(std::byte* data, std::size_t size) noexcept : data_(data), size_(size) {}
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Maps `fd` from `offset` (a multiple of the page size) over `pages`, MAP_PRIVATE | MAP_FIXED,
/// read-write: writes stay private. Ownership: none; `pages` belongs to someone else (a guest's
/// linear memory), who must call `replaceWithZeroPages` before it reuses the range.
/// Errors: mmap's.
[[nodiscard]] Result<> replaceWithFile(std::span<std::byte> pages, int fd, off_t offset = 0);
/// What backs a shared range: a size-sealed memfd (`makeSizeSealedMemfd`), which may cross to
/// another process, or a file of 2 MiB pages (`makeHugePageFile`) for a range whose bytes never
/// leave this process.
enum class SharedFileKind { kSealedMemfd, kHugePages };
/// The file under a shared range.
struct SharedFile {
  UniqueFd fd;
  std::uint64_t offset = 0;  ///< where the range starts in the file, a multiple of the page size
  bool sealed = true;        ///< a size-sealed memfd, not a file of huge pages
};
/// Puts a fresh file over `pages`, MAP_SHARED | MAP_FIXED, read-write, so that the same bytes can
/// be mapped elsewhere (`replaceWithFile`) with no copy.
/// - kSealedMemfd: a memfd of `pages.size()` bytes whose size is sealed, so whoever maps it can
///   never be cut short; the range starts at offset 0.
/// - kHugePages: a file of 2 MiB pages; the range starts at the file offset that agrees with its
///   address modulo 2 MiB, so that each whole 2 MiB of it is one page-table entry here and in a
///   receiver whose buffer agrees too. Where no such file can be made, a sealed memfd as above.
/// The range reads as zeros afterwards, or with `keep_bytes` as before (its bytes are copied into
/// the new file first: a range that was backed by another file leaves that one unchanged from
/// then on). Ownership: the caller owns the descriptor; `pages` belongs to someone else (a
/// guest's linear memory), who undoes this with `replaceWithZeroPages`.
/// Errors: memfd_create's, ftruncate's, fcntl's, pwrite's, mmap's.
[[nodiscard]] Result<SharedFile> replaceWithSharedPages(
    std::span<std::byte> pages, bool keep_bytes = false,
    SharedFileKind kind = SharedFileKind::kSealedMemfd);
/// Reads exactly `out.size()` bytes of file `fd` from `offset` (pread, retried on EINTR and
/// short reads). Errors: pread's; EIO for a file that ends first.
[[nodiscard]] Result<> preadExact(int fd, std::span<std::byte> out, std::uint64_t offset);
/// Opens, read-only, the file behind descriptor `fd` of thread `tid` of this process (through
/// /proc/self/task/TID/fd/FD, so also when that thread has a descriptor table of its own), if
/// it is still inode `inode`. Errors: open's, fstat's; ESTALE when the descriptor now names
/// another file.
[[nodiscard]] Result<UniqueFd> openThreadFd(int tid, int fd, std::uint64_t inode);
/// Whether descriptor `fd` of the calling thread's table names the file (`dev`, `inode`): a
/// thread that shares the table of the thread that opened it can use it without a lookup in
/// /proc (openThreadFd). A device and inode name one file while it is open.
[[nodiscard]] bool namesFile(int fd, std::uint64_t dev, std::uint64_t inode) noexcept;
/// Puts private anonymous (zero) pages over `pages`, MAP_FIXED: undoes `replaceWithFile`.
/// Errors: mmap's.
[[nodiscard]] Result<> replaceWithZeroPages(std::span<std::byte> pages);

/// Whether any page of `pages`, mapped MAP_PRIVATE from a file, is now a private copy (written
/// since it was mapped, present or swapped out) instead of the file's page: one PAGEMAP_SCAN
/// (Linux 6.7). An error where the kernel cannot say.
[[nodiscard]] Result<bool> hasPrivatePages(std::span<const std::byte> pages);

}  // namespace rr::sys
