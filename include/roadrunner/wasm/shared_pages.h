#pragma once

// A function's shared buffers: ranges of its linear memory that the guest asked the host to back
// with a memfd (the `share_pages` import), so that a send from them maps the same pages into each
// receiver, copy-on-write, instead of copying the bytes. See docs/abi.md, "Shared buffers".

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "roadrunner/base/unique_fd.h"
#include "roadrunner/host/shared_buffers.h"
#include "roadrunner/host/status.h"

namespace rr::wasm {

using host::SharedBuffers;
using host::SharedView;
using host::Status;

/// The shared ranges of one instance's linear memory, each backed by its own memfd mapped
/// MAP_SHARED over it. At most kMaxRanges at once, none overlapping another, so the mappings they
/// add to the process are bounded.
///
/// Ownership: owns the memfds; the mappings belong to the linear memory, which WasmEdge unmaps
/// with the instance (the table must not outlive it: it lives in the instance's state).
/// Thread-safety: none. Changed only by the instance's thread; read by receivers' threads only
/// while the instance is blocked in a send, which cannot change it.
class SharedPages final : public SharedBuffers {
 public:
  SharedPages() = default;
  static constexpr std::size_t kMaxRanges = 64;

  /// Backs [buf, buf + len) with a fresh memfd; the range reads as zeros afterwards.
  /// kFault: outside `memory`; kInvalid: `buf` or `len` not a multiple of the 4 KiB page, `len`
  /// 0, or overlapping a shared range (one equal to it is already shared: kOk, bytes kept);
  /// kNoMemory: kMaxRanges are shared, or the kernel refused the memfd or mapping.
  [[nodiscard]] Status share(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len);
  /// Gives [buf, buf + len), a range `share` made, back to private zero pages.
  /// kInvalid: no shared range is exactly that; kNoMemory: the kernel refused the mapping.
  [[nodiscard]] Status unshare(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len);

  [[nodiscard]] std::optional<SharedView> find(std::uint32_t buf,
                                               std::uint32_t len) const noexcept override;
  void clear(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len) noexcept override;
  void detach(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len,
              bool cleared) noexcept override;
  /// Whether any byte of [buf, buf + len) is shared (a receiver's buffer there must not be
  /// mapped over: its memfd would no longer back it).
  [[nodiscard]] bool overlaps(std::uint64_t buf, std::uint64_t len) const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return ranges_.size(); }

 private:
  struct Range {
    std::uint32_t buf = 0;
    std::uint32_t len = 0;
    UniqueFd fd;
    int tid = 0;  ///< the thread whose descriptor table holds `fd`
    std::uint64_t inode = 0;
  };
  [[nodiscard]] Range* holding(std::uint32_t buf, std::uint32_t len) noexcept;
  std::vector<Range> ranges_;
};

}  // namespace rr::wasm
