#pragma once

// Signals around guest code, private to rr::wasm.
//
// Native stack exhaustion. AOT code runs on the calling thread's own stack; unbounded guest
// recursion ends in a fault on that stack's guard page. WasmEdge 0.14 turns SIGSEGV into a trap,
// but its handler runs on the faulting stack, which has no room left, so the kernel kills the
// process. Every thread that enters guest code therefore gets an alternate signal stack, and
// WasmEdge's handlers are re-registered with SA_ONSTACK (chained: WasmEdge's handler still does
// the work). The signal keeper holds WasmEdge's handler count above zero, so WasmEdge never
// re-registers its own and drops SA_ONSTACK.
//
// Interrupting host calls. A guest blocked in a host call (poll_oneoff, a socket) never reaches
// an interruption check. The watchdog sends the interrupt signal to such a thread; its handler
// does nothing and is registered without SA_RESTART, so the blocking call returns EINTR and the
// guest runs into the check.

#include <cstddef>

#include "roadrunner/base/error.h"

namespace rr::wasm {

/// Registers the interrupt signal's handler, and, when `chain_fault_handlers` (AOT, after the
/// signal keeper is parked), WasmEdge's fault handlers again with SA_ONSTACK. Once per process;
/// later calls return at once. Thread-safe.
[[nodiscard]] Result<> installGuestSignalHandlers(bool chain_fault_handlers);

/// Gives the calling thread an alternate signal stack, once (it lives until the thread ends).
/// Every thread calls this before it enters guest code.
[[nodiscard]] Result<> prepareGuestThread();

/// Whether the calling thread, prepared by prepareGuestThread, has less than kHostHeadroom bytes
/// of stack left below the caller's frame. Roadrunner's host functions refuse to run then: a
/// guest that recursed to within a few frames of its guard page and then called the host would
/// otherwise fault inside host code, and WasmEdge would longjmp out of it past its destructors
/// (a transfer's Completion is shared with another thread).
[[nodiscard]] bool stackNearlyExhausted() noexcept;
inline constexpr std::size_t kHostHeadroom = std::size_t{256} * 1024;

/// The signal the watchdog sends to a thread whose guest call is past its limit.
[[nodiscard]] int interruptSignal() noexcept;

}  // namespace rr::wasm
