#include "roadrunner/runtime/live_stats.h"

namespace rr::runtime {

LiveStats::LiveStats(std::chrono::milliseconds interval, std::FILE* out, Snapshot snapshot) {
  if (interval.count() > 0) {
    thread_ = std::thread(
        [this, interval, out, snapshot = std::move(snapshot)] { run(interval, out, snapshot); });
  }
}

LiveStats::~LiveStats() { stop(); }

void LiveStats::stop() {
  {
    const std::scoped_lock lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void LiveStats::run(std::chrono::milliseconds interval, std::FILE* out, const Snapshot& snapshot) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  for (auto next = start + interval;; next += interval) {
    if (cv_.wait_until(lock, next, [this] { return stopping_; })) {
      return;
    }
    const double seconds = std::chrono::duration<double>(next - start).count();
    std::fprintf(out, "roadrunner: after %.1f s\n", seconds);
    printReport(RunReport{.instances = snapshot()}, out);
    std::fflush(out);
  }
}

}  // namespace rr::runtime
