#pragma once

// The calling thread's alternate signal stack: no policy. @see man 2 sigaltstack

#include <cstddef>

#include "roadrunner/base/error.h"

namespace rr::sys {

/// A mapping installed as the calling thread's alternate signal stack, with a guard page below
/// it. A handler registered with SA_ONSTACK then runs here, so it still runs when the thread's
/// own stack is exhausted.
///
/// Ownership: owns the mapping. Thread-safety: belongs to the thread that installed it, which
/// must also destroy it (the destructor uninstalls it first, if it is still the one installed).
class AltSignalStack {
 public:
  [[nodiscard]] static Result<AltSignalStack> install(std::size_t size = kDefaultSize);
  AltSignalStack(AltSignalStack&& other) noexcept;
  AltSignalStack& operator=(AltSignalStack&&) = delete;
  AltSignalStack(const AltSignalStack&) = delete;
  AltSignalStack& operator=(const AltSignalStack&) = delete;
  ~AltSignalStack();

  static constexpr std::size_t kDefaultSize = 64 * 1024;

 private:
  AltSignalStack(void* mapping, std::size_t mapping_size) noexcept
      : mapping_(mapping), mapping_size_(mapping_size) {}
  void* mapping_ = nullptr;  // guard page, then the stack
  std::size_t mapping_size_ = 0;
};

}  // namespace rr::sys
