#pragma once

// What a send needs to know of the sender's shared buffers (the `share_pages` import): where a
// payload's bytes also live, so a receiver can map them instead of copying, and how to let go
// of them afterwards. wasm::SharedPages implements it; see docs/abi.md, "Shared buffers".

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace rr::host {

/// Where a payload's bytes also live: from byte `offset` (a multiple of the page size) of the
/// file that backs the sender's shared buffer: descriptor `fd` of thread `tid`, inode `inode`.
/// A function's thread may have a descriptor table of its own (FunctionActor), so a receiver
/// opens the file through the sender thread's table.
struct SharedView {
  int fd = -1;
  int tid = 0;
  std::uint64_t inode = 0;
  std::uint64_t offset = 0;
  std::uint64_t dev = 0;  ///< the file's device: with `inode`, it names the file while it is open
  /// A size-sealed memfd, which may be passed to another process. Otherwise a file of huge
  /// pages, which only receivers in this process may map (sys::makeHugePageFile).
  bool sealed = true;
};

/// A sending function's shared buffers, seen from its `send` import. Thread-safety: the
/// sender's thread only (receivers get a SharedView, never this).
class SharedBuffers {
 public:
  SharedBuffers() = default;
  SharedBuffers(const SharedBuffers&) = delete;
  SharedBuffers& operator=(const SharedBuffers&) = delete;
  SharedBuffers(SharedBuffers&&) = delete;
  SharedBuffers& operator=(SharedBuffers&&) = delete;
  virtual ~SharedBuffers() = default;

  /// The memfd holding [buf, buf + len) when `buf` is page-aligned and the range lies inside one
  /// shared range; nullopt otherwise.
  [[nodiscard]] virtual std::optional<SharedView> find(std::uint32_t buf,
                                                       std::uint32_t len) const noexcept = 0;
  /// After a move send from [buf, buf + len), once no receiver maps it: the range reads as
  /// zeros, written in place (its pages stay in the memfd, ready to be refilled).
  virtual void clear(std::span<std::byte> memory, std::uint32_t buf,
                     std::uint32_t len) noexcept = 0;
  /// A receiver in another process may still map the memfd behind [buf, buf + len) (its host
  /// never answered): the shared range that holds it moves to a fresh memfd with a copy of its
  /// bytes, so nothing the sender writes from now on reaches that receiver. With `cleared`,
  /// [buf, buf + len) reads as zeros afterwards (a move).
  virtual void detach(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len,
                      bool cleared) noexcept = 0;
};

}  // namespace rr::host
