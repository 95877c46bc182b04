// Fault injection: a kernel-mode receiver killed at random points while 1,000 transfers go to
// it, and restarted. Every transfer must arrive intact exactly once, or fail with a status at
// the sender (and then arrive at most once); never half, never twice.

#include <poll.h>
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "../testing/serve_process.h"
#include "../testing/subprocess.h"
#include "roadrunner/transport/socket_endpoint.h"

namespace rr {
namespace {

TEST(FaultInjectionTest, ReceiverKilledAtRandomPointsNeverHalfOrTwiceDelivers) {
  const testing::TempDir dir;
  const std::string sock = dir.file("ledger.sock");
  const auto start = [&] {
    return std::make_unique<testing::ServeProcess>(
        RR_CLI,
        std::vector<std::string>{RR_GUEST_LEDGER_RECEIVER, "--listen", "unix:" + sock, "--name",
                                 "ledger", "--dir", "/data:" + dir.path()},
        std::vector<std::string>{},
        std::vector<std::string>{"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  };
  std::mutex mutex;
  auto serve = start();
  ASSERT_TRUE(serve->ready());

  std::atomic<bool> done{false};
  std::atomic<int> kills{0};
  std::thread killer([&] {
    std::mt19937 rng(12345);
    while (!done) {
      ::poll(nullptr, 0, static_cast<int>(5 + rng() % 60));  // a random point in the stream
      const std::scoped_lock lock(mutex);
      if (done) {
        break;
      }
      serve->stop(SIGKILL);
      ++kills;
      serve = start();
    }
  });

  transport::SocketEndpoint ep(transport::Address{.path = sock}, "ledger", {.timeout_seconds = 5});
  constexpr int kTransfers = 1000;
  std::map<std::uint64_t, host::Status> status;
  std::vector<std::byte> payload(256 * 1024);
  for (std::uint64_t seq = 0; seq < kTransfers; ++seq) {
    std::memcpy(payload.data(), &seq, 8);
    for (std::size_t i = 8; i < payload.size(); ++i) {
      payload[i] = static_cast<std::byte>(seq * 131 + i);
    }
    std::uint64_t echoed = UINT64_MAX;
    const auto r = ep.deliver({.source = "faults",
                               .payload = payload,
                               .reply = std::as_writable_bytes(std::span(&echoed, 1))});
    status[seq] = r.status;
    if (r.status == host::Status::kOk) {
      EXPECT_EQ(echoed, seq);
    }
  }
  done = true;
  killer.join();

  std::map<std::uint64_t, int> seen;
  std::ifstream ledger(dir.file("ledger"));
  std::string word;
  while (ledger >> word) {
    ASSERT_NE(word, "BAD") << "a payload reached the handler damaged";
    ++seen[std::stoull(word)];
  }
  int ok = 0;
  for (const auto& [seq, st] : status) {
    const int times = seen.contains(seq) ? seen[seq] : 0;
    EXPECT_LE(times, 1) << "transfer " << seq << " was delivered twice";
    if (st == host::Status::kOk) {
      ++ok;
      EXPECT_EQ(times, 1) << "transfer " << seq << " was acknowledged but not delivered";
    }
  }
  std::printf("fault injection: %d transfers, %d delivered and acknowledged, %d receiver kills\n",
              kTransfers, ok, kills.load());
  EXPECT_GT(kills.load(), 5);
  EXPECT_GT(ok, 0);
}

}  // namespace
}  // namespace rr
