#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string_view>

#include "roadrunner/host/status.h"

namespace rr::host {

/// One message on its way to a receiver. Every span points into the sender's linear memory and
/// stays valid only while `Endpoint::deliver` runs: the sender is blocked in its `send` call
/// until then, so its memory neither changes nor grows.
struct Delivery {
  std::string_view source;              ///< the sending function's name
  std::span<const std::byte> payload;   ///< the bytes to deliver
  std::span<std::byte> reply;           ///< where the receiver's reply goes (may be empty)
};

/// What came of a delivery. `reply_len` is the reply's full length, also when it did not fit.
struct DeliveryResult {
  Status status = Status::kOk;
  std::uint32_t reply_len = 0;
  std::uint32_t copies = 0;  ///< payload copies the host made (embedded: 1)
};

/// Waits for one or more deliveries started with `Endpoint::deliverAsync`; keeps the first
/// failure (or the last success). Thread-safety: `done` from any thread, `wait` from one.
class Completion {
 public:
  explicit Completion(std::uint32_t pending) : pending_(pending) {}
  void done(const DeliveryResult& result) {
    const std::scoped_lock lock(mutex_);
    if (result.status != Status::kOk && result_.status == Status::kOk) {
      result_ = result;
    } else if (result_.status == Status::kOk) {
      result_.reply_len = result.reply_len;
    }
    result_.copies += result.copies;
    if (--pending_ == 0) {
      cv_.notify_all();
    }
  }
  [[nodiscard]] DeliveryResult wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return pending_ == 0; });
    return result_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint32_t pending_;
  DeliveryResult result_;
};

/// A place messages can be delivered to: a function instance in this process, or a connection
/// to one elsewhere. Thread-safety: `deliver` may be called from many threads at once.
class Endpoint {
 public:
  Endpoint() = default;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;
  Endpoint(Endpoint&&) = delete;
  Endpoint& operator=(Endpoint&&) = delete;
  virtual ~Endpoint() = default;

  /// Starts a delivery; `completion.done()` is called once the receiver's handler has returned
  /// (or the delivery failed). The caller keeps `delivery`'s memory unchanged until then.
  virtual void deliverAsync(const Delivery& delivery, Completion& completion) = 0;

  /// Delivers and waits until the receiver's handler has returned.
  [[nodiscard]] DeliveryResult deliver(const Delivery& delivery) {
    Completion completion(1);
    deliverAsync(delivery, completion);
    return completion.wait();
  }
};

}  // namespace rr::host
