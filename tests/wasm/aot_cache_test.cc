#include "roadrunner/wasm/aot_cache.h"

#include <sys/stat.h>

#include <future>
#include <latch>

#include <gtest/gtest.h>

#include "roadrunner/base/file.h"
#include "roadrunner/wasm/engine.h"
#include "roadrunner/wasm/instance.h"

#include "../testing/subprocess.h"

namespace rr::wasm {
namespace {

TEST(AotCacheTest, SecondPrepareIsACacheHit) {
  const testing::TempDir cache;
  auto engine = Engine::create({.cache_dir = cache.path(), .opt_level = 0});
  ASSERT_TRUE(engine.has_value()) << engine.error().message();
  auto first = engine->prepare(RR_GUEST_WASI_PROBE);
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_FALSE(first->cache_hit);
  auto second = engine->prepare(RR_GUEST_WASI_PROBE);
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_TRUE(second->cache_hit);
  EXPECT_EQ(first->loadable_path, second->loadable_path);
}

TEST(AotCacheTest, TruncatedEntryIsDetectedAndRebuilt) {
  const testing::TempDir cache;
  auto engine = Engine::create({.cache_dir = cache.path(), .opt_level = 0});
  ASSERT_TRUE(engine.has_value()) << engine.error().message();
  auto first = engine->prepare(RR_GUEST_WASI_PROBE);
  ASSERT_TRUE(first.has_value()) << first.error().message();
  ASSERT_EQ(::truncate(first->loadable_path.c_str(), 100), 0);

  auto again = engine->prepare(RR_GUEST_WASI_PROBE);
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_FALSE(again->cache_hit);
  auto instance = Instance::create(*engine, *again, {.args = {"probe", "3"}});
  ASSERT_TRUE(instance.has_value()) << instance.error().message();
  auto code = instance->runStart();
  ASSERT_TRUE(code.has_value()) << code.error().message();
  EXPECT_EQ(*code, 3);
}

TEST(AotCacheTest, EntryWithoutItsChecksumIsRebuilt) {
  const testing::TempDir cache;
  auto engine = Engine::create({.cache_dir = cache.path(), .opt_level = 0});
  ASSERT_TRUE(engine.has_value()) << engine.error().message();
  auto first = engine->prepare(RR_GUEST_WASI_PROBE);
  ASSERT_TRUE(first.has_value()) << first.error().message();
  ASSERT_EQ(::unlink((first->loadable_path + ".sha256").c_str()), 0);
  auto again = engine->prepare(RR_GUEST_WASI_PROBE);
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_FALSE(again->cache_hit);
}

TEST(AotCacheTest, TwoCallersMissingOneEntryAtOnceCompileItOnce) {
  const testing::TempDir cache;
  auto c = AotCache::open(cache.path(), 0);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  auto wasm = readFile(RR_GUEST_WASI_PROBE);
  ASSERT_TRUE(wasm.has_value()) << wasm.error().message();
  std::latch start(2);
  const auto compile = [&] {
    start.arrive_and_wait();
    return c->compiled(*wasm, "probe");
  };
  auto a = std::async(std::launch::async, compile);
  auto b = std::async(std::launch::async, compile);
  auto first = a.get();
  auto second = b.get();
  ASSERT_TRUE(first.has_value()) << first.error().message();
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_NE(first->hit, second->hit) << "one compiles, the other waits for its object";
  EXPECT_EQ(first->path, second->path);
}

TEST(AotCacheTest, KeyDependsOnTheModulesBytes) {
  const testing::TempDir cache;
  auto c = AotCache::open(cache.path(), 2);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  const std::string a = "a";
  const std::string b = "b";
  EXPECT_NE(c->pathFor(std::as_bytes(std::span(a))), c->pathFor(std::as_bytes(std::span(b))));
  auto o0 = AotCache::open(cache.path(), 0);
  ASSERT_TRUE(o0.has_value());
  EXPECT_NE(c->pathFor(std::as_bytes(std::span(a))), o0->pathFor(std::as_bytes(std::span(a))));
}

TEST(AotCacheTest, UnwritableDirectoryIsAnErrorNamingIt) {
  auto c = AotCache::open("/proc/roadrunner-cache", 2);
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message().find("/proc/roadrunner-cache"), std::string::npos);
}

}  // namespace
}  // namespace rr::wasm
