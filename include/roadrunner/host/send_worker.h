#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "roadrunner/host/endpoint.h"

namespace rr::host {

/// A thread that carries deliveries to endpoints whose deliverAsync completes before it returns
/// (Endpoint::completesInline: a socket's), so that `send_async` returns while the bytes travel.
/// It runs them one at a time, in the order posted.
///
/// Started by the first post(), on the posting thread's behalf: it shares that thread's
/// descriptor table (an actor's private one, where the endpoint's connections for this thread
/// live). Ownership: the thread; stop() joins it once every delivery posted has completed.
/// Thread-safety: post() and stop() from the owning thread.
class SendWorker {
 public:
  SendWorker() = default;
  ~SendWorker() { stop(); }
  SendWorker(const SendWorker&) = delete;
  SendWorker& operator=(const SendWorker&) = delete;
  SendWorker(SendWorker&&) = delete;
  SendWorker& operator=(SendWorker&&) = delete;

  /// Queues `delivery` for `endpoint`; `completion.done()` is called on the worker's thread. The
  /// caller keeps the delivery's memory unchanged until then. False, with nothing queued, when
  /// the thread cannot start: the caller delivers itself.
  [[nodiscard]] bool post(Endpoint& endpoint, const Delivery& delivery, Completion& completion);
  /// Runs what is queued, then ends and joins the thread. Idempotent.
  void stop() noexcept;

 private:
  struct Job {
    Endpoint* endpoint = nullptr;
    Delivery delivery;
    Completion* completion = nullptr;
  };
  void run();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rr::host
