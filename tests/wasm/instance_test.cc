#include "roadrunner/wasm/instance.h"

#include <gtest/gtest.h>

#include "../testing/subprocess.h"

namespace rr::wasm {
namespace {

// Every test runs in both engines: the interpreter and AOT through a private cache.
class InstanceTest : public ::testing::TestWithParam<bool> {
 protected:
  Engine engine() {
    auto e = Engine::create({.interpreter = GetParam(), .cache_dir = cache_.path(), .opt_level = 0});
    EXPECT_TRUE(e.has_value()) << e.error().message();
    return std::move(*e);
  }
  testing::TempDir cache_;
};

TEST_P(InstanceTest, RunStartReturnsTheGuestsExitCode) {
  auto eng = engine();
  auto module = eng.prepare(RR_GUEST_WASI_PROBE);
  ASSERT_TRUE(module.has_value()) << module.error().message();
  EXPECT_EQ(module->aot, !GetParam());
  auto instance = Instance::create(eng, *module, {.args = {"probe", "7"}});
  ASSERT_TRUE(instance.has_value()) << instance.error().message();
  auto code = instance->runStart();
  ASSERT_TRUE(code.has_value()) << code.error().message();
  EXPECT_EQ(*code, 7);
}

TEST_P(InstanceTest, CallsExportsWithI32Arguments) {
  auto eng = engine();
  auto module = eng.prepare(RR_GUEST_NO_START);
  ASSERT_TRUE(module.has_value()) << module.error().message();
  auto instance = Instance::create(eng, *module, {});
  ASSERT_TRUE(instance.has_value()) << instance.error().message();
  const std::uint32_t args[] = {40, 2};
  auto sum = instance->call("add", args);
  ASSERT_TRUE(sum.has_value()) << sum.error().message();
  ASSERT_EQ(sum->size(), 1U);
  EXPECT_EQ((*sum)[0], 42U);
  EXPECT_FALSE(instance->memory().empty());
}

TEST_P(InstanceTest, ATrapIsAnErrorNamingTheCause) {
  auto eng = engine();
  auto module = eng.prepare(RR_GUEST_NO_START);
  ASSERT_TRUE(module.has_value()) << module.error().message();
  auto instance = Instance::create(eng, *module, {});
  ASSERT_TRUE(instance.has_value()) << instance.error().message();
  auto r = instance->call("oob", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kTrap);
  EXPECT_NE(r.error().message().find("out of bounds"), std::string::npos) << r.error().message();
  // The instance still answers after the trap.
  const std::uint32_t args[] = {1, 2};
  EXPECT_TRUE(instance->call("add", args).has_value());
}

TEST_P(InstanceTest, ModuleWithoutStartIsAMissingExport) {
  auto eng = engine();
  auto module = eng.prepare(RR_GUEST_NO_START);
  ASSERT_TRUE(module.has_value()) << module.error().message();
  auto instance = Instance::create(eng, *module, {});
  ASSERT_TRUE(instance.has_value()) << instance.error().message();
  auto r = instance->runStart();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kMissingExport);
}

TEST_P(InstanceTest, NonWasmAndInvalidModulesAreRefusedWithTheirPath) {
  auto eng = engine();
  const testing::TempDir dir;
  testing::writeText(dir.file("text.wasm"), "hello, not wasm");
  std::string bad("\0asm\x01\0\0\0\x01\xff\xff", 11);
  testing::writeText(dir.file("bad.wasm"), bad);
  auto not_wasm = eng.prepare(dir.file("text.wasm"));
  ASSERT_FALSE(not_wasm.has_value());
  EXPECT_EQ(not_wasm.error().code, Errc::kNotWasm);
  auto invalid = eng.prepare(dir.file("bad.wasm"));
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().code, Errc::kInvalidModule);
  EXPECT_NE(invalid.error().message().find(dir.file("bad.wasm")), std::string::npos);
}

std::string engineName(const ::testing::TestParamInfo<bool>& param) {
  return param.param ? "Interpreter" : "Aot";
}

INSTANTIATE_TEST_SUITE_P(Engines, InstanceTest, ::testing::Values(true, false), engineName);

}  // namespace
}  // namespace rr::wasm
