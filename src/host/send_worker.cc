#include "roadrunner/host/send_worker.h"

#include <system_error>

#include "roadrunner/base/log.h"

namespace rr::host {

bool SendWorker::post(Endpoint& endpoint, const Delivery& delivery, Completion& completion) {
  if (!thread_.joinable()) {
    {
      // Before the thread starts: one that saw the last stop() would end before its first job.
      const std::scoped_lock lock(mutex_);
      stopping_ = false;
    }
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
      RR_LOG_DEBUG("send_async runs on the sending thread: {}", e.what());
      return false;
    }
  }
  {
    const std::scoped_lock lock(mutex_);
    queue_.push_back({&endpoint, delivery, &completion});
  }
  cv_.notify_one();
  return true;
}

void SendWorker::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping, and nothing left to carry
      }
      job = queue_.front();
      queue_.pop_front();
    }
    job.endpoint->deliverAsync(job.delivery, *job.completion);  // completes before it returns
  }
}

void SendWorker::stop() noexcept {
  if (!thread_.joinable()) {
    return;
  }
  {
    const std::scoped_lock lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

}  // namespace rr::host
