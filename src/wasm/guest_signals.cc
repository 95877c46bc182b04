#include "guest_signals.h"

#include <pthread.h>
#include <signal.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>

#include "roadrunner/base/try.h"
#include "roadrunner/sys/signal_stack.h"

namespace rr::wasm {
namespace {

constexpr std::array kFaultSignals = {SIGSEGV, SIGBUS, SIGFPE};

// WasmEdge's handlers, as they were registered before ours; written once, before ours exist.
std::array<struct sigaction, kFaultSignals.size()> g_wasmedge_handlers{};

std::size_t slotOf(int signal) noexcept {
  for (std::size_t i = 0; i < kFaultSignals.size(); ++i) {
    if (kFaultSignals[i] == signal) {
      return i;
    }
  }
  return 0;
}

// Runs on the alternate stack; WasmEdge's handler turns the fault into a trap (it longjmps back
// to the guest call's entry on the thread's own stack) or, outside guest code, ends the process
// as it would have.
void chainedFaultHandler(int signal, siginfo_t* info, void* context) noexcept {
  const struct sigaction& next = g_wasmedge_handlers[slotOf(signal)];
  if ((next.sa_flags & SA_SIGINFO) != 0 && next.sa_sigaction != nullptr) {
    next.sa_sigaction(signal, info, context);
    return;
  }
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

void interruptHandler(int /*signal*/) noexcept {}

// The lowest usable address of this thread's stack, once prepareGuestThread has run.
thread_local std::uintptr_t t_stack_low = 0;

Result<> chainFaultHandlers() {
  for (std::size_t i = 0; i < kFaultSignals.size(); ++i) {
    if (::sigaction(kFaultSignals[i], nullptr, &g_wasmedge_handlers[i]) != 0) {
      return failErrno("sigaction");
    }
    if ((g_wasmedge_handlers[i].sa_flags & SA_SIGINFO) == 0) {
      return fail(Errc::kInvalidArgument, "guest signal handlers",
                  "WasmEdge's fault handlers are not installed (is the signal keeper parked?)");
    }
  }
  for (const int signal : kFaultSignals) {
    struct sigaction action{};
    action.sa_sigaction = &chainedFaultHandler;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (::sigaction(signal, &action, nullptr) != 0) {
      return failErrno("sigaction");
    }
  }
  return {};
}

Result<> installInterruptHandler() {
  struct sigaction action{};
  action.sa_handler = &interruptHandler;
  action.sa_flags = SA_ONSTACK;  // and no SA_RESTART: a blocking call must return EINTR
  sigemptyset(&action.sa_mask);
  if (::sigaction(interruptSignal(), &action, nullptr) != 0) {
    return failErrno("sigaction(interrupt signal)");
  }
  return {};
}

}  // namespace

int interruptSignal() noexcept { return SIGRTMIN + 4; }

bool stackNearlyExhausted() noexcept {
  const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  return t_stack_low != 0 && here - t_stack_low < kHostHeadroom;
}

Result<> installGuestSignalHandlers(bool chain_fault_handlers) {
  static std::mutex mutex;
  static bool interrupt_installed = false;
  static bool faults_chained = false;
  const std::scoped_lock lock(mutex);
  if (!interrupt_installed) {
    RR_RETURN_IF_ERROR(installInterruptHandler());
    interrupt_installed = true;
  }
  if (chain_fault_handlers && !faults_chained) {
    RR_RETURN_IF_ERROR(chainFaultHandlers());
    faults_chained = true;
  }
  return {};
}

Result<> prepareGuestThread() {
  thread_local std::optional<sys::AltSignalStack> stack;
  if (!stack) {
    pthread_attr_t attr;
    if (const int err = ::pthread_getattr_np(::pthread_self(), &attr); err != 0) {
      return failErrno("pthread_getattr_np", err);
    }
    void* low = nullptr;
    std::size_t size = 0;
    const int err = ::pthread_attr_getstack(&attr, &low, &size);
    ::pthread_attr_destroy(&attr);
    if (err != 0) {
      return failErrno("pthread_attr_getstack", err);
    }
    t_stack_low = reinterpret_cast<std::uintptr_t>(low);
    auto installed = sys::AltSignalStack::install();
    if (!installed) {
      return std::unexpected(installed.error());
    }
    stack.emplace(std::move(*installed));
  }
  return {};
}

}  // namespace rr::wasm
