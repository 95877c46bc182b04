#pragma once

// Populating a freshly mapped range's page tables ahead of its reader. @see man 2 madvise
// (MADV_POPULATE_READ)

#include <atomic>
#include <cstddef>
#include <memory>
#include <span>
#include <thread>

#include "roadrunner/base/error.h"

namespace rr::sys {

/// Populates `pages` for reading on a thread of its own, front to back in steps of kStep, while
/// the range's owner reads it from the front. A file mapped over a buffer costs its reader a
/// fault per 64 KiB and a page-table walk per 4 KiB page (the machine's shmem has no huge
/// pages): about as long as reading the bytes. Populated here, on a CPU the reader does not
/// use, that cost leaves the reader's path; where the reader catches up it faults as before.
///
/// Ownership: owns its thread. The destructor stops it after at most one step and joins it, so
/// the owner of `pages` (a guest's linear memory) must keep the range mapped until then and may
/// replace it afterwards. Populating only maps what the range already holds: it never writes.
/// Thread-safety: none; create and destroy on one thread.
class Prefault {
 public:
  static constexpr std::size_t kStep = std::size_t{2} << 20;

  /// Starts populating `pages`. Errors: the thread could not be created (EAGAIN).
  [[nodiscard]] static Result<std::unique_ptr<Prefault>> start(std::span<std::byte> pages);
  ~Prefault();
  Prefault(const Prefault&) = delete;
  Prefault& operator=(const Prefault&) = delete;
  Prefault(Prefault&&) = delete;
  Prefault& operator=(Prefault&&) = delete;

  /// Bytes populated so far (a multiple of kStep, or the whole range); the last step's errno,
  /// 0 if none failed. For tests and logs.
  [[nodiscard]] std::size_t populated() const noexcept { return populated_.load(); }
  [[nodiscard]] int error() const noexcept { return error_.load(); }

 private:
  explicit Prefault(std::span<std::byte> pages) noexcept : pages_(pages) {}
  void run() noexcept;

  std::span<std::byte> pages_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> populated_{0};
  std::atomic<int> error_{0};
  std::thread thread_;
};

}  // namespace rr::sys
