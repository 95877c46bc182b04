#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "roadrunner/shim/engine.h"

#include "../testing/subprocess.h"

namespace rr::shim {
namespace {

struct Fixture {
  rr::testing::TempDir dir;
  TaskContext ctx;
  Fixture() {
    std::filesystem::create_directories(dir.path() + "/rootfs");
    rr::testing::writeText(dir.file("rootfs/f.wasm"), std::string("\0asm\1\0\0\0", 8));
    rr::testing::writeText(dir.file("rootfs/text.wasm"), "#!/bin/sh\n");
    rr::testing::writeText(dir.file("rootfs/short.wasm"), std::string("\0asm", 4));
    ctx.id = "c1";
    ctx.bundle_dir = dir.path();
    ctx.rootfs = dir.path() + "/rootfs";
    ctx.spec.args = {"/f.wasm", "a1"};
    ctx.spec.env = {"K=V", "BROKEN"};
    ctx.spec.mounts = {{.destination = "/proc", .type = "proc", .source = "proc"},
                       {.destination = "/data", .type = "bind", .source = dir.path()},
                       {.destination = "/tmp", .type = "tmpfs", .source = "tmpfs"}};
    ctx.wiring.name = "fn";
  }
};

bool contains(const std::vector<std::string>& v, const std::vector<std::string>& seq) {
  return std::ranges::search(v, seq).begin() != v.end();
}

TEST(CliEngine, PlainFunctionRuns) {
  Fixture f;
  const auto engine = makeCliEngine("/opt/rr/roadrunner");
  ASSERT_TRUE(engine->canHandle(f.ctx));
  auto launch = engine->plan(f.ctx);
  ASSERT_TRUE(launch) << launch.error().message();
  const auto& a = launch->argv;
  EXPECT_EQ(a[0], "/opt/rr/roadrunner");
  EXPECT_EQ(a[1], "run");
  EXPECT_EQ(a[2], f.ctx.rootfs + "/f.wasm");
  EXPECT_TRUE(contains(a, {"--env", "K=V"}));
  EXPECT_FALSE(contains(a, {"--env", "BROKEN"}));
  EXPECT_TRUE(contains(a, {"--dir", "/:" + f.ctx.rootfs}));
  EXPECT_TRUE(contains(a, {"--dir", "/data:" + f.dir.path()}));
  EXPECT_TRUE(contains(a, {"--dir", "/tmp:" + f.dir.path() + "/tmpfs/0"}));
  EXPECT_EQ(launch->make_dirs, std::vector<std::string>{f.dir.path() + "/tmpfs/0"});
  EXPECT_FALSE(std::ranges::any_of(a, [](const std::string& s) { return s.starts_with("/proc"); }));
  EXPECT_EQ(a[a.size() - 2], "--");
  EXPECT_EQ(a.back(), "a1");
  EXPECT_FALSE(launch->ready_fd);
  EXPECT_FALSE(contains(a, {"--allow-net"})) << "no grant unless the annotation gives one";
}

TEST(CliEngine, AllowNetBecomesTheFlagOrTheWorkflowsNetworkList) {
  Fixture f;
  f.ctx.wiring.allow_net = {"tcp:10.0.0.5:443", "tcp:127.0.0.1:*"};
  auto run = makeCliEngine("rr")->plan(f.ctx);
  ASSERT_TRUE(run);
  EXPECT_TRUE(contains(
      run->argv, {"--allow-net", "tcp:10.0.0.5:443", "--allow-net", "tcp:127.0.0.1:*", "--"}));

  f.ctx.wiring.receiver = true;
  f.ctx.listen_address = "unix:/run/rr/sockets/ns/fn.sock";
  auto serve = makeCliEngine("rr")->plan(f.ctx);
  ASSERT_TRUE(serve);
  EXPECT_EQ(serve->argv[1], "serve");
  EXPECT_TRUE(contains(
      serve->argv, {"--allow-net", "tcp:10.0.0.5:443", "--allow-net", "tcp:127.0.0.1:*", "--"}));

  f.ctx.wiring.receiver = false;
  f.ctx.targets = {{"sink", "unix:/run/rr/sockets/ns/sink.sock"}};
  auto up = makeCliEngine("rr")->plan(f.ctx);
  ASSERT_TRUE(up);
  const auto wf = nlohmann::json::parse(up->workflow_json);
  EXPECT_EQ(wf["functions"]["fn"]["network"],
            nlohmann::json::array({"tcp:10.0.0.5:443", "tcp:127.0.0.1:*"}));
  EXPECT_FALSE(wf["functions"]["sink"].contains("network"));
}

TEST(CliEngine, ReceiverServes) {
  Fixture f;
  f.ctx.wiring.receiver = true;
  f.ctx.wiring.interpreter = true;
  f.ctx.listen_address = "unix:/run/rr/sockets/ns/fn.sock";
  f.ctx.targets = {{"next", "tcp:10.0.0.9:7000"}};
  f.ctx.secret_host_path = "/s/secret";
  auto launch = makeCliEngine("rr")->plan(f.ctx);
  ASSERT_TRUE(launch);
  const auto& a = launch->argv;
  EXPECT_EQ(a[1], "serve");
  EXPECT_TRUE(contains(
      a, {"--name", "fn", "--listen", "unix:/run/rr/sockets/ns/fn.sock", "--ready-fd", "3"}));
  EXPECT_TRUE(contains(a, {"--secret-file", "/s/secret"}));
  EXPECT_TRUE(contains(a, {"--target", "next=tcp:10.0.0.9:7000"}));
  EXPECT_TRUE(contains(a, {"--interpreter"}));
  EXPECT_FALSE(contains(a, {"--metrics"})) << "no annotation, no metrics";
  EXPECT_TRUE(launch->ready_fd);
}

TEST(CliEngine, TheMetricsAnnotationBecomesTheFlag) {
  Fixture f;
  f.ctx.wiring.metrics = "tcp:0.0.0.0:9464";
  f.ctx.targets = {{"sink", "unix:/run/rr/sockets/ns/sink.sock"}};
  auto sender = makeCliEngine("rr")->plan(f.ctx);
  ASSERT_TRUE(sender);
  EXPECT_EQ(sender->argv[1], "up");
  EXPECT_TRUE(contains(sender->argv, {"--metrics", "tcp:0.0.0.0:9464"}));
  f.ctx.wiring.receiver = true;
  f.ctx.listen_address = "unix:/run/rr/sockets/ns/fn.sock";
  auto receiver = makeCliEngine("rr")->plan(f.ctx);
  ASSERT_TRUE(receiver);
  EXPECT_EQ(receiver->argv[1], "serve");
  EXPECT_TRUE(contains(receiver->argv, {"--metrics", "tcp:0.0.0.0:9464"}));
}

TEST(CliEngine, TheTracesAnnotationBecomesTheFlag) {
  Fixture f;
  f.ctx.wiring.traces = "http://10.0.0.5:4318";
  f.ctx.targets = {{"sink", "unix:/run/rr/sockets/ns/sink.sock"}};
  auto sender = makeCliEngine("rr")->plan(f.ctx);
  ASSERT_TRUE(sender);
  EXPECT_TRUE(contains(sender->argv, {"--traces", "http://10.0.0.5:4318"}));
  f.ctx.wiring.receiver = true;
  f.ctx.listen_address = "unix:/run/rr/sockets/ns/fn.sock";
  auto receiver = makeCliEngine("rr")->plan(f.ctx);
  ASSERT_TRUE(receiver);
  EXPECT_TRUE(contains(receiver->argv, {"--traces", "http://10.0.0.5:4318"}));
  f.ctx.wiring.traces.clear();
  EXPECT_FALSE(contains(makeCliEngine("rr")->plan(f.ctx)->argv, {"--traces"}));
}

TEST(CliEngine, SenderGetsAWorkflow) {
  Fixture f;
  f.ctx.targets = {{"sink", "unix:/run/rr/sockets/ns/sink.sock"}, {"far", "tcp:10.0.0.2:7000"}};
  f.ctx.secret_host_path = "/s/secret";
  auto launch = makeCliEngine("rr")->plan(f.ctx);
  ASSERT_TRUE(launch);
  EXPECT_EQ(launch->argv,
            (std::vector<std::string>{"rr", "up", f.dir.path() + "/roadrunner-workflow.json",
                                      "--no-prefix"}));
  const auto wf = nlohmann::json::parse(launch->workflow_json);
  EXPECT_EQ(wf["functions"]["fn"]["wasm"], f.ctx.rootfs + "/f.wasm");
  EXPECT_EQ(wf["functions"]["fn"]["args"], nlohmann::json::array({"a1"}));
  EXPECT_EQ(wf["functions"]["fn"]["env"]["K"], "V");
  EXPECT_EQ(wf["edges"][0]["mode"], "kernel");
  EXPECT_EQ(wf["edges"][0]["address"], "unix:/run/rr/sockets/ns/sink.sock");
  EXPECT_EQ(wf["edges"][1]["mode"], "network");
  EXPECT_EQ(wf["secret_file"], "/s/secret");
}

TEST(CliEngine, RefusesMissingAndNonWasmModules) {
  Fixture f;
  const auto engine = makeCliEngine("rr");
  f.ctx.spec.args = {"/missing.wasm"};
  auto missing = engine->canHandle(f.ctx);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  EXPECT_NE(missing.error().message().find("/missing.wasm"), std::string::npos);
  f.ctx.spec.args = {"/text.wasm"};
  auto text = engine->canHandle(f.ctx);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, Errc::kNotWasm);
  // The magic without a version is not a module either: the engine would refuse it at run.
  f.ctx.spec.args = {"/short.wasm"};
  auto short_module = engine->canHandle(f.ctx);
  ASSERT_FALSE(short_module);
  EXPECT_EQ(short_module.error().code, Errc::kNotWasm);
}

}  // namespace
}  // namespace rr::shim
