#include "roadrunner/wasm/instance.h"

#include <sys/stat.h>

#include <chrono>

#include <gtest/gtest.h>

#include "roadrunner/base/try.h"

#include "../testing/subprocess.h"
#include "../testing/tcp_listener.h"

namespace rr::wasm {
namespace {

// Every test runs in both engines: the interpreter and AOT through a private cache.
class InstanceTest : public ::testing::TestWithParam<bool> {
 protected:
  Engine engine() {
    auto e =
        Engine::create({.interpreter = GetParam(), .cache_dir = cache_.path(), .opt_level = 0});
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

// The net_probe guest as a command: NET_PROBE picks what it tries, and its exit code is the WASI
// errno of the call that decided (76: not capable, 21: fault, 0: it worked).
int probe(const Engine& eng, std::vector<std::string> env,
          const std::vector<std::string>& grants = {}, std::vector<std::string> dirs = {}) {
  auto module = eng.prepare(RR_GUEST_NET_PROBE);
  EXPECT_TRUE(module.has_value()) << module.error().message();
  InstanceOptions options{.args = {"net_probe"}, .env = std::move(env), .dirs = std::move(dirs)};
  for (const auto& g : grants) {
    auto grant = parseNetGrant(g);
    EXPECT_TRUE(grant.has_value()) << grant.error().message();
    options.net_grants.push_back(*grant);
  }
  auto instance = Instance::create(eng, *module, std::move(options));
  EXPECT_TRUE(instance.has_value()) << instance.error().message();
  auto code = instance->runStart();
  EXPECT_TRUE(code.has_value()) << code.error().message();
  return code.value_or(-1);
}

constexpr int kNotCapable = 76;  // __WASI_ERRNO_NOTCAPABLE
constexpr int kFault = 21;       // __WASI_ERRNO_FAULT
constexpr std::chrono::milliseconds kNoWait{0};
constexpr std::chrono::seconds kArrives{10};

TEST_P(InstanceTest, SocketsAreDeniedWithoutAGrant) {
  auto eng = engine();
  const testing::TcpListener listener;
  ASSERT_NE(listener.port(), 0);

  for (const char* mode : {"connect", "connect_v2", "bind", "listen", "udp", "resolve", "every"}) {
    const std::string how = std::string("NET_PROBE=") + mode;
    EXPECT_EQ(probe(eng, {how, "NET_PROBE_PORT=" + listener.portText()}), kNotCapable) << mode;
  }

  EXPECT_FALSE(listener.connectionArrives(kNoWait));
}

TEST_P(InstanceTest, AGrantAllowsConnectingToItsAddressOnly) {
  auto eng = engine();
  const testing::TcpListener granted;
  const testing::TcpListener other;
  ASSERT_TRUE(granted.port() != 0 && other.port() != 0);

  for (const char* mode : {"connect", "connect_v2"}) {
    const std::string how = std::string("NET_PROBE=") + mode;
    EXPECT_EQ(probe(eng, {how, "NET_PROBE_PORT=" + granted.portText()}, {granted.grant()}), 0)
        << mode;
    EXPECT_TRUE(granted.connectionArrives(kArrives)) << mode;
    EXPECT_EQ(probe(eng, {how, "NET_PROBE_PORT=" + other.portText()}, {granted.grant()}),
              kNotCapable)
        << mode;
    EXPECT_FALSE(other.connectionArrives(kNoWait)) << mode;
  }
}

TEST_P(InstanceTest, AWildAddressPointerIsAFaultNotACrash) {
  auto eng = engine();
  const testing::TcpListener listener;

  EXPECT_EQ(
      probe(eng, {"NET_PROBE=wild", "NET_PROBE_PORT=" + listener.portText()}, {listener.grant()}),
      kFault);

  EXPECT_FALSE(listener.connectionArrives(kNoWait));
}

TEST_P(InstanceTest, ListeningNeedsAGrantedLocalAddress) {
  auto eng = engine();

  // Port 0: the kernel picks one, which "*" covers.
  EXPECT_EQ(probe(eng, {"NET_PROBE=bind", "NET_PROBE_PORT=0"}, {"tcp:127.0.0.1:*"}), 0);
  EXPECT_EQ(probe(eng, {"NET_PROBE=bind", "NET_PROBE_PORT=0"}, {"tcp:127.0.0.1:9"}), kNotCapable);
  EXPECT_EQ(probe(eng, {"NET_PROBE=bind", "NET_PROBE_PORT=0"}, {"tcp:127.0.0.2:*"}), kNotCapable);
  // Never bound: listen would take 0.0.0.0 and a port of the kernel's choosing.
  EXPECT_EQ(probe(eng, {"NET_PROBE=listen"}, {"tcp:127.0.0.1:*"}), kNotCapable);
}

TEST_P(InstanceTest, UdpAndNameLookupsStayDeniedWithAGrant) {
  auto eng = engine();

  EXPECT_EQ(probe(eng, {"NET_PROBE=udp"}, {"tcp:127.0.0.1:*"}), kNotCapable);
  EXPECT_EQ(probe(eng, {"NET_PROBE=resolve"}, {"tcp:127.0.0.1:*"}), kNotCapable);
}

TEST_P(InstanceTest, AGuestCannotLeaveASymlinkInItsDirectory) {
  auto eng = engine();
  const testing::TempDir dir;

  EXPECT_EQ(probe(eng, {"NET_PROBE=symlink"}, {"tcp:127.0.0.1:*"}, {"/d:" + dir.path()}),
            kNotCapable);

  struct stat st{};
  EXPECT_NE(::lstat(dir.file("escape").c_str(), &st), 0) << "the guest made a link on the host";
}

std::string engineName(const ::testing::TestParamInfo<bool>& param) {
  return param.param ? "Interpreter" : "Aot";
}

TEST_P(InstanceTest, APreopenWhoseHostDirectoryIsMissingIsAnError) {
  auto eng = engine();
  auto module = eng.prepare(RR_GUEST_WASI_PROBE);
  ASSERT_TRUE(module.has_value()) << module.error().message();
  for (const std::string dir : {"/in:/no-such-dir", "/no-such-dir", "/in:" RR_GUEST_WASI_PROBE}) {
    auto instance = Instance::create(eng, *module, {.args = {"probe"}, .dirs = {dir}});
    ASSERT_FALSE(instance.has_value()) << dir << " was accepted";
    EXPECT_EQ(instance.error().code, Errc::kNotFound);
    EXPECT_NE(instance.error().message().find(dir), std::string::npos)
        << instance.error().message();
  }
  EXPECT_TRUE(
      Instance::create(eng, *module, {.args = {"probe"}, .dirs = {"/in:/tmp"}}).has_value());
}

// AOT only: there, guest frames live on the thread's native stack. (WasmEdge 0.14.1's
// interpreter keeps them on the heap without a bound; docs/security.md says so.)
class NativeStackTest : public ::testing::Test {
 protected:
  static Result<int> runSender(const std::string& arg) {
    RR_ASSIGN_OR_RETURN(Engine engine, Engine::create({.cache_dir = std::string(RR_BINARY_DIR) +
                                                                    "/test-aot-cache"}));
    RR_ASSIGN_OR_RETURN(Module module, engine.prepare(RR_GUEST_ATTACK_SENDER));
    RR_ASSIGN_OR_RETURN(Instance instance,
                        Instance::create(engine, module, {.args = {"attack_sender", arg}}));
    return instance.runStart();
  }
};

TEST_F(NativeStackTest, UnboundedRecursionIsATrapNotAProcessCrash) {
  const auto r = runSender("--recurse");
  ASSERT_FALSE(r.has_value()) << "the guest returned";
  EXPECT_EQ(r.error().code, Errc::kTrap) << r.error().message();
}

// Recursion that calls the host in every frame: the host call that finds the stack nearly gone
// traps the guest before host code runs, instead of faulting inside host code.
TEST_F(NativeStackTest, AHostCallWithTooLittleStackLeftTrapsBeforeRunning) {
  const auto r = runSender("--recurse-host");
  ASSERT_FALSE(r.has_value()) << "the guest returned";
  EXPECT_EQ(r.error().code, Errc::kTrap);
  EXPECT_NE(r.error().message().find("native stack exhausted"), std::string::npos)
      << r.error().message();
}

INSTANTIATE_TEST_SUITE_P(Engines, InstanceTest, ::testing::Values(true, false), engineName);

}  // namespace
}  // namespace rr::wasm
