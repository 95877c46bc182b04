#include "roadrunner/sys/interrupt.h"

#include <pthread.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace rr::sys {

InterruptWatcher::InterruptWatcher(std::function<void(int)> on_signal) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, &old_mask_);
  try {
    thread_ = std::thread(
        [this, on_signal = std::move(on_signal), signals] { watch(on_signal, signals); });
  } catch (const std::system_error&) {
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);  // nobody would take them
  }
}

void InterruptWatcher::watch(const std::function<void(int)>& on_signal, sigset_t signals) const {
  constexpr timespec kPoll{.tv_sec = 0, .tv_nsec = 100'000'000};
  while (!stopping_.load()) {
    const int signal = ::sigtimedwait(&signals, nullptr, &kPoll);
    if (signal > 0) {
      on_signal(signal);
    }
  }
}

InterruptWatcher::~InterruptWatcher() {
  if (thread_.joinable()) {
    stopping_.store(true);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
}

}  // namespace rr::sys
