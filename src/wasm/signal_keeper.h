#pragma once

// WasmEdge 0.14 installs its SIGSEGV/SIGBUS/SIGFPE handlers when a thread enters AOT code and
// restores SIG_DFL when the process-wide count of threads inside AOT code drops to zero. A trap
// on one thread racing another thread's exit can therefore meet SIG_DFL and kill the process
// (../shared facts: 8 of 8 runs died within 3 s). The keeper parks one AOT call in a blocking
// host function for the life of the process, so the count never drops to zero and the handlers
// stay installed. It relies on 0.14's implementation; the trap-race test guards it.

#include "roadrunner/base/error.h"

namespace rr::wasm {

class AotCache;

/// Starts the keeper once per process (later calls return at once). Returns after the keeper
/// is parked inside AOT code. Thread-safe.
[[nodiscard]] Result<> ensureSignalKeeper(const AotCache& cache);

}  // namespace rr::wasm
