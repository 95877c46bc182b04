#pragma once

// A pipe and its two ends: no policy. @see man 2 pipe2

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"

namespace rr::sys {

/// The two ends of a pipe. Ownership: each end owns its descriptor. Thread-safety: none.
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

/// A new pipe, close-on-exec (`flags` adds to O_CLOEXEC, e.g. O_NONBLOCK).
/// Errors: pipe2's (EMFILE, ENFILE).
[[nodiscard]] Result<Pipe> makePipe(int flags = 0);

}  // namespace rr::sys
