#include "roadrunner/shim/bundle.h"

#include <gtest/gtest.h>

namespace rr::shim {
namespace {

constexpr std::string_view kConfig = R"({
  "ociVersion": "1.1.0",
  "process": {
    "terminal": false,
    "args": ["/app/hello.wasm", "7", "GREETING"],
    "env": ["PATH=/usr/bin", "GREETING=hi"],
    "cwd": "/app"
  },
  "root": {"path": "rootfs"},
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro"]},
    {"destination": "/data/deep", "type": "none", "source": "/srv/deep", "options": ["bind"]},
    {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}
  ],
  "annotations": {"roadrunner.io/role": "receiver", "other": "x"},
  "linux": {
    "cgroupsPath": "/default/hello",
    "namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/cni-1"}]
  }
})";

TEST(Bundle, ParsesWhatTheShimRuns) {
  auto spec = parseBundleConfig(kConfig);
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_EQ(spec->args, (std::vector<std::string>{"/app/hello.wasm", "7", "GREETING"}));
  EXPECT_EQ(spec->env, (std::vector<std::string>{"PATH=/usr/bin", "GREETING=hi"}));
  EXPECT_EQ(spec->cwd, "/app");
  EXPECT_FALSE(spec->terminal);
  EXPECT_EQ(spec->root_path, "rootfs");
  ASSERT_EQ(spec->mounts.size(), 4u);
  EXPECT_TRUE(spec->mounts[1].isBind());
  EXPECT_TRUE(spec->mounts[2].isBind());
  EXPECT_FALSE(spec->mounts[3].isBind());
  EXPECT_EQ(spec->annotations.at("roadrunner.io/role"), "receiver");
  EXPECT_EQ(spec->cgroups_path, "/default/hello");
  EXPECT_EQ(spec->netns_path, "/var/run/netns/cni-1");
}

TEST(Bundle, ModuleAndHostPaths) {
  auto spec = parseBundleConfig(kConfig);
  ASSERT_TRUE(spec);
  EXPECT_EQ(*modulePath(*spec, "/b/rootfs"), "/b/rootfs/app/hello.wasm");
  EXPECT_EQ(hostPath(*spec, "/b/rootfs", "/data/x/y"), "/srv/data/x/y");
  EXPECT_EQ(hostPath(*spec, "/b/rootfs", "/data/deep/z"), "/srv/deep/z");  // longest match
  EXPECT_EQ(hostPath(*spec, "/b/rootfs", "/database"), "/b/rootfs/database");
  EXPECT_EQ(hostPath(*spec, "/b/rootfs", "/../../etc/shadow"), "/b/rootfs/etc/shadow");
  spec->args[0] = "hello.wasm";  // relative: against cwd
  EXPECT_EQ(*modulePath(*spec, "/b/rootfs"), "/b/rootfs/app/hello.wasm");
  spec->args[0] = "../../../../x.wasm";
  EXPECT_EQ(*modulePath(*spec, "/b/rootfs"), "/b/rootfs/x.wasm");
}

TEST(Bundle, RejectsMalformedConfigs) {
  for (const std::string_view bad : {
           R"(not json)",
           R"([])",
           R"({})",
           R"({"process": {"args": []}})",
           R"({"process": {"args": [""]}})",
           R"({"process": {"args": "x.wasm"}})",
           R"({"process": {"args": ["x.wasm"], "env": [1]}})",
           R"({"process": {"args": ["x.wasm"], "cwd": 3}})",
           R"({"process": {"args": ["x.wasm"]}, "mounts": {}})",
           R"({"process": {"args": ["x.wasm"]}, "mounts": [{"type": "bind"}]})",
           R"({"process": {"args": ["x.wasm"]}, "annotations": {"a": 1}})",
       }) {
    auto spec = parseBundleConfig(bad);
    ASSERT_FALSE(spec) << bad;
    EXPECT_EQ(spec.error().code, Errc::kMalformedConfig) << bad;
  }
}

TEST(Bundle, MinimalConfigGetsDefaults) {
  auto spec = parseBundleConfig(R"({"process": {"args": ["/f.wasm"]}})");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->cwd, "/");
  EXPECT_EQ(spec->root_path, "rootfs");
  EXPECT_TRUE(spec->netns_path.empty());
}

TEST(Bundle, CgroupPaths) {
  EXPECT_EQ(cgroupPath(""), "");
  EXPECT_EQ(cgroupPath("/default/hello"), "/default/hello");
  EXPECT_EQ(cgroupPath("kubepods/besteffort/pod1/abc"), "/kubepods/besteffort/pod1/abc");
  EXPECT_EQ(cgroupPath("kubepods-besteffort-pod1.slice:cri-containerd:abc"),
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/"
            "cri-containerd-abc.scope");
  EXPECT_EQ(cgroupPath("system.slice:roadrunner:abc"), "/system.slice/roadrunner-abc.scope");
}

}  // namespace
}  // namespace rr::shim
