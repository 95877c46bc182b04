// WasmEdge 0.14's AOT trap race: a guest trapping on one thread while another thread enters and
// leaves AOT code killed the process within seconds (8 of 8 runs) before the signal keeper.
// This test fails by crashing the test binary.

#include <atomic>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "roadrunner/wasm/engine.h"
#include "roadrunner/wasm/instance.h"

#include "../testing/subprocess.h"

namespace rr::wasm {
namespace {

TEST(SignalKeeperTest, TrapsOnOneThreadDoNotKillAotCallsOnAnother) {
  const testing::TempDir cache;
  auto engine = Engine::create({.cache_dir = cache.path(), .opt_level = 0});
  ASSERT_TRUE(engine.has_value()) << engine.error().message();
  auto module = engine->prepare(RR_GUEST_NO_START);
  ASSERT_TRUE(module.has_value()) << module.error().message();

  // 20,000 by default; the TSan run, about 50x slower per trap, sets RR_TEST_TRAPS lower.
  const char* traps_env = std::getenv("RR_TEST_TRAPS");
  const int kTraps =
      traps_env != nullptr ? static_cast<int>(std::strtol(traps_env, nullptr, 10)) : 20000;
  std::atomic<bool> done{false};
  std::atomic<int> traps{0};
  std::atomic<long> calls{0};
  std::thread trapper([&] {
    auto instance = Instance::create(*engine, *module, {});
    ASSERT_TRUE(instance.has_value());
    for (int i = 0; i < kTraps; ++i) {
      if (!instance->call("oob", {})) {
        traps.fetch_add(1);
      }
    }
    done = true;
  });
  std::thread caller([&] {
    auto instance = Instance::create(*engine, *module, {});
    ASSERT_TRUE(instance.has_value());
    while (!done) {
      ASSERT_TRUE(instance->call("nop", {}).has_value());
      calls.fetch_add(1);
    }
  });
  trapper.join();
  caller.join();
  EXPECT_EQ(traps.load(), kTraps);
  EXPECT_GT(calls.load(), 0);
}

}  // namespace
}  // namespace rr::wasm
