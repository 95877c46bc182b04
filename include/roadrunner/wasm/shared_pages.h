#pragma once

// A function's shared buffers: ranges of its linear memory that the guest asked the host to back
// with a file (the `share_pages` import), so that a send from them maps the same pages into each
// receiver, copy-on-write, instead of copying the bytes. See docs/abi.md, "Shared buffers".

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "roadrunner/base/unique_fd.h"
#include "roadrunner/host/shared_buffers.h"
#include "roadrunner/host/status.h"
#include "roadrunner/sys/mapping.h"

namespace rr::wasm {

using host::SharedBuffers;
using host::SharedView;
using host::Status;

/// The shared ranges of one instance's linear memory, each backed by its own file mapped
/// MAP_SHARED over it. At most kMaxRanges at once, none overlapping another, so the mappings they
/// add to the process are bounded.
///
/// Ownership: owns the files; the mappings belong to the linear memory, which WasmEdge unmaps
/// with the instance (the table must not outlive it: it lives in the instance's state).
/// Thread-safety: none. Changed only by the instance's thread; read by receivers' threads only
/// while the instance is blocked in a send, which cannot change it.
class SharedPages final : public SharedBuffers {
 public:
  SharedPages() = default;
  static constexpr std::size_t kMaxRanges = 64;

  /// Backs [buf, buf + len) with a fresh file of `kind` (sys::replaceWithSharedPages); the range
  /// reads as zeros afterwards. kHugePages is for a function whose sends all stay in this
  /// process: its receivers then map 2 MiB at a time.
  /// kFault: outside `memory`; kInvalid: `buf` or `len` not a multiple of the 4 KiB page, `len`
  /// 0, or overlapping a shared range (one equal to it is already shared: kOk, bytes kept);
  /// kNoMemory: kMaxRanges are shared, or the kernel refused the file or mapping.
  [[nodiscard]] Status share(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len,
                             sys::SharedFileKind kind = sys::SharedFileKind::kSealedMemfd);
  /// Gives [buf, buf + len), a range `share` made, back to private zero pages.
  /// kInvalid: no shared range is exactly that; kNoMemory: the kernel refused the mapping.
  [[nodiscard]] Status unshare(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len);

  [[nodiscard]] std::optional<SharedView> find(std::uint32_t buf,
                                               std::uint32_t len) const noexcept override;
  void clear(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len) noexcept override;
  void detach(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len,
              bool cleared) noexcept override;
  /// Whether any byte of [buf, buf + len) is shared (a receiver's buffer there must not be
  /// mapped over: its file would no longer back it).
  [[nodiscard]] bool overlaps(std::uint64_t buf, std::uint64_t len) const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return ranges_.size(); }

 private:
  struct Range {
    std::uint32_t buf = 0;
    std::uint32_t len = 0;
    sys::SharedFile file;  ///< the range starts at file.offset
    int tid = 0;           ///< the thread whose descriptor table holds `file.fd`
    std::uint64_t inode = 0;
    std::uint64_t dev = 0;
    sys::SharedFileKind kind = sys::SharedFileKind::kSealedMemfd;
  };
  [[nodiscard]] Range* holding(std::uint32_t buf, std::uint32_t len) noexcept;
  std::vector<Range> ranges_;
};

}  // namespace rr::wasm
