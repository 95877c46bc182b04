#include "roadrunner/host/send_worker.h"

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace rr::host {
namespace {

using namespace std::chrono_literals;

// Completes each delivery before it returns, after 20 ms, noting its thread and its first byte.
class SlowInlineEndpoint final : public Endpoint {
 public:
  void deliverAsync(const Delivery& d, Completion& completion) override {
    std::this_thread::sleep_for(20ms);
    {
      const std::scoped_lock lock(mutex);
      threads.push_back(std::this_thread::get_id());
      order.push_back(static_cast<int>(d.payload[0]));
    }
    completion.done({.copied_bytes = d.payload.size()});
  }
  [[nodiscard]] bool completesInline() const noexcept override { return true; }
  std::mutex mutex;
  std::vector<std::thread::id> threads;
  std::vector<int> order;
};

TEST(SendWorkerTest, CarriesDeliveriesInOrderOffThePostingThread) {
  SlowInlineEndpoint endpoint;
  const std::vector<std::byte> payloads = {std::byte{1}, std::byte{2}, std::byte{3}};
  std::vector<std::unique_ptr<Completion>> completions;
  SendWorker worker;
  const auto t0 = std::chrono::steady_clock::now();
  for (const std::byte& b : payloads) {
    completions.push_back(std::make_unique<Completion>(1));
    ASSERT_TRUE(
        worker.post(endpoint, {.source = "a", .payload = std::span(&b, 1)}, *completions.back()));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20ms) << "posting waited for a delivery";
  for (auto& c : completions) {
    EXPECT_EQ(c->wait().copied_bytes, 1U);
  }
  worker.stop();
  const std::scoped_lock lock(endpoint.mutex);
  EXPECT_EQ(endpoint.order, (std::vector<int>{1, 2, 3}));
  for (const auto& id : endpoint.threads) {
    EXPECT_NE(id, std::this_thread::get_id());
    EXPECT_EQ(id, endpoint.threads.front()) << "one thread, one delivery at a time";
  }
}

TEST(SendWorkerTest, StopRunsWhatIsQueuedAndAStoppedWorkerStartsAgain) {
  SlowInlineEndpoint endpoint;
  const std::byte one{1};
  Completion first(1);
  Completion second(1);
  SendWorker worker;
  ASSERT_TRUE(worker.post(endpoint, {.source = "a", .payload = std::span(&one, 1)}, first));
  ASSERT_TRUE(worker.post(endpoint, {.source = "a", .payload = std::span(&one, 1)}, second));
  worker.stop();  // joins after both
  {
    const std::scoped_lock lock(endpoint.mutex);
    EXPECT_EQ(endpoint.order.size(), 2U);
  }
  Completion third(1);
  ASSERT_TRUE(worker.post(endpoint, {.source = "a", .payload = std::span(&one, 1)}, third));
  EXPECT_EQ(third.wait().status, Status::kOk);
  worker.stop();
  worker.stop();  // idempotent
}

}  // namespace
}  // namespace rr::host
