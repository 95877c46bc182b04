#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "roadrunner/runtime/runner.h"

namespace rr::runtime {

/// A live view: prints the report table (printReport) of `snapshot()` to `out` every `interval`,
/// headed "roadrunner: after 1.5 s", until stopped. `up --stats-every` and `serve --stats-every`.
///
/// Ownership: owns one thread (none when `interval` is 0), joined by stop() or the destructor.
/// `snapshot` runs on that thread and must only read what is safe to read concurrently.
class LiveStats {
 public:
  using Snapshot = std::function<std::vector<InstanceReport>()>;
  LiveStats(std::chrono::milliseconds interval, std::FILE* out, Snapshot snapshot);
  LiveStats(const LiveStats&) = delete;
  LiveStats& operator=(const LiveStats&) = delete;
  ~LiveStats();

  /// Ends the view and joins its thread. Idempotent.
  void stop();

 private:
  void run(std::chrono::milliseconds interval, std::FILE* out, const Snapshot& snapshot);

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rr::runtime
