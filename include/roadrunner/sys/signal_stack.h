#pragma once

// The calling thread's alternate signal stack: no policy. @see man 2 sigaltstack

#include <cstddef>
#include <utility>

#include "roadrunner/base/error.h"
#include "roadrunner/sys/mapping.h"

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
  AltSignalStack(AltSignalStack&& other) noexcept = default;
  AltSignalStack& operator=(AltSignalStack&&) = delete;
  AltSignalStack(const AltSignalStack&) = delete;
  AltSignalStack& operator=(const AltSignalStack&) = delete;
  ~AltSignalStack();

  static constexpr std::size_t kDefaultSize = std::size_t{64} * 1024;

 private:
  explicit AltSignalStack(Mapping mapping) noexcept : mapping_(std::move(mapping)) {}
  Mapping mapping_;  // guard page, then the stack
};

}  // namespace rr::sys
