// The function's cgroup: resources parsed from OCI JSON, the linear-memory cap, v1's file layout
// in a directory the test makes, and real cgroups where this machine mounts them (v1 per
// controller under /sys/fs/cgroup, and a cgroup2 hierarchy, as hybrid hosts have, at
// /sys/fs/cgroup/unified).

#include "roadrunner/shim/cgroup.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "roadrunner/sys/subprocess.h"

#include "../testing/subprocess.h"

namespace rr::shim {
namespace {

using rr::testing::slurp;
using rr::testing::TempDir;
using rr::testing::writeText;

constexpr std::int64_t kMiB = std::int64_t{1024} * 1024;

TEST(Resources, ParsesTheLimitsTheShimEnforces) {
  auto r = parseResources(R"({"memory": {"limit": 268435456, "swap": 1},
                              "cpu": {"quota": 50000, "period": 100000, "shares": 512},
                              "pids": {"limit": 10}})");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->memory_limit, 256 * kMiB);
  EXPECT_EQ(r->cpu_quota, 50'000);
  EXPECT_EQ(r->cpu_period, 100'000U);
  EXPECT_EQ(r->cpu_shares, 512U);
  EXPECT_FALSE(r->empty());
}

TEST(Resources, NullAndMissingMeanNoLimit) {
  for (const char* json : {"null", "{}", R"({"memory": {}, "cpu": {"quota": null}})"}) {
    auto r = parseResources(json);
    ASSERT_TRUE(r) << json << ": " << r.error().message();
    EXPECT_TRUE(r->empty()) << json;
  }
}

TEST(Resources, AWrongTypeNamesTheField) {
  auto r = parseResources(R"({"memory": {"limit": "1G"}})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kMalformedConfig);
  EXPECT_NE(r.error().message().find("memory.limit must be an integer"), std::string::npos);
  EXPECT_FALSE(parseResources("[1]"));
  EXPECT_FALSE(parseResources("{"));
}

TEST(Resources, TheLinearMemoryCapLeavesRoomForTheRuntime) {
  auto cap = [](std::optional<std::int64_t> limit) {
    return linearMemoryCapMib(Resources{.memory_limit = limit});
  };
  EXPECT_EQ(cap(std::nullopt), 0U);
  EXPECT_EQ(cap(0), 0U);
  EXPECT_EQ(cap(-1), 0U);
  EXPECT_EQ(cap(512 * kMiB), 448U);  // less the runtime's 64 MiB
  EXPECT_EQ(cap(100 * kMiB), 50U);   // small limits: half
  EXPECT_EQ(cap(kMiB / 2), 1U);
  EXPECT_EQ(cap(std::int64_t{64} * 1024 * kMiB), 4096U);  // wasm32's 4 GiB at most
}

// A v1 hierarchy as files in a directory: what the shim writes and reads, without a kernel.
class FakeV1 : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* c : {"memory", "cpu", "cpuacct", "pids"}) {
      std::filesystem::create_directories(mount() + "/" + c);
    }
    writeText(mount() + "/memory/memory.limit_in_bytes", "9223372036854771712\n");
  }
  [[nodiscard]] std::string mount() const { return dir_.path(); }
  TempDir dir_;
};

TEST_F(FakeV1, MakesOneDirectoryPerControllerAndWritesTheLimits) {
  auto version = Cgroup::detect(mount());
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, Cgroup::Version::kV1);
  auto cgroup = Cgroup::create("/kubepods/pod1/c1", mount());
  ASSERT_TRUE(cgroup) << cgroup.error().message();
  EXPECT_EQ(cgroup->dirs().size(), 4U);
  ASSERT_TRUE(cgroup->apply(
      {.memory_limit = 128 * kMiB, .cpu_quota = 25'000, .cpu_period = 50'000, .cpu_shares = 256}));
  const std::string base = mount();
  EXPECT_EQ(slurp(base + "/memory/kubepods/pod1/c1/memory.limit_in_bytes"), "134217728");
  EXPECT_EQ(slurp(base + "/cpu/kubepods/pod1/c1/cpu.cfs_quota_us"), "25000");
  EXPECT_EQ(slurp(base + "/cpu/kubepods/pod1/c1/cpu.cfs_period_us"), "50000");
  EXPECT_EQ(slurp(base + "/cpu/kubepods/pod1/c1/cpu.shares"), "256");
  ASSERT_TRUE(cgroup->apply({.memory_limit = 0, .cpu_quota = -1}));  // lifted
  EXPECT_EQ(slurp(base + "/memory/kubepods/pod1/c1/memory.limit_in_bytes"), "-1");
  EXPECT_EQ(slurp(base + "/cpu/kubepods/pod1/c1/cpu.cfs_quota_us"), "-1");
  EXPECT_EQ(slurp(base + "/cpu/kubepods/pod1/c1/cpu.shares"), "256") << "unset stays";
}

TEST_F(FakeV1, ReadsStatsInUniformUnits) {
  auto cgroup = Cgroup::create("/c2", mount());
  ASSERT_TRUE(cgroup);
  const std::string m = mount() + "/memory/c2/";
  writeText(m + "memory.usage_in_bytes", "10485760\n");
  writeText(m + "memory.limit_in_bytes", "9223372036854771712\n");
  writeText(m + "memory.stat",
            "cache 1\nrss 2\ntotal_cache 4096\ntotal_rss 8192\ntotal_inactive_file 1024\n"
            "total_pgfault 77\ntotal_pgmajfault 3\n");
  writeText(mount() + "/cpuacct/c2/cpuacct.usage", "123456789\n");
  const long hz = ::sysconf(_SC_CLK_TCK);
  writeText(mount() + "/cpuacct/c2/cpuacct.stat",
            "user " + std::to_string(hz * 2) + "\nsystem " + std::to_string(hz) + "\n");
  writeText(mount() + "/pids/c2/pids.current", "3\n");
  auto s = cgroup->stats();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cpu_usage_ns, 123'456'789U);
  EXPECT_EQ(s->cpu_user_ns, 2'000'000'000U);
  EXPECT_EQ(s->cpu_system_ns, 1'000'000'000U);
  EXPECT_EQ(s->memory_usage, 10U * kMiB);
  EXPECT_EQ(s->memory_limit, 0U) << "v1's no-limit value reads as none";
  EXPECT_EQ(s->memory_rss, 8192U) << "hierarchical totals";
  EXPECT_EQ(s->memory_cache, 4096U);
  EXPECT_EQ(s->memory_inactive_file, 1024U);
  EXPECT_EQ(s->page_faults, 77U);
  EXPECT_EQ(s->major_page_faults, 3U);
  EXPECT_EQ(s->pids, 3U);
}

TEST(Cgroup, NoHierarchyIsNotFound) {
  const TempDir empty;
  auto version = Cgroup::detect(empty.path());
  ASSERT_FALSE(version);
  EXPECT_EQ(version.error().code, Errc::kNotFound);
  EXPECT_FALSE(Cgroup::create("/x", empty.path()));
}

// A process in a real cgroup: a shell that burns CPU for a while.
class RealCgroup : public ::testing::Test {
 protected:
  static std::string uniquePath() {
    return "/roadrunner-cgroup-test-" + std::to_string(::getpid());
  }
  /// Runs the shell's loop in `cgroup` to its end; then what the cgroup accounted.
  static Result<CgroupStats> burnIn(const Cgroup& cgroup) {
    auto p = sys::Subprocess::spawn(
        {.argv = {"/bin/sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"}});
    if (!p) {
      return std::unexpected(p.error());
    }
    if (auto joined = cgroup.join(p->pid()); !joined) {
      return std::unexpected(joined.error());
    }
    if (auto code = p->waitFor(std::chrono::seconds(60 * rr::testing::timeScale())); !code) {
      return std::unexpected(code.error());
    }
    return cgroup.stats();
  }
};

TEST_F(RealCgroup, V1AccountsTheCpuAndMemoryOfItsProcess) {
  if (::geteuid() != 0 || !Cgroup::detect() || *Cgroup::detect() != Cgroup::Version::kV1) {
    GTEST_SKIP() << "needs root and cgroup v1 at /sys/fs/cgroup (this test's host layout)";
  }
  auto cgroup = Cgroup::create(uniquePath());
  ASSERT_TRUE(cgroup) << cgroup.error().message();
  ASSERT_TRUE(
      cgroup->apply({.memory_limit = 256 * kMiB, .cpu_quota = 50'000, .cpu_period = 100'000}));
  auto s = burnIn(*cgroup);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_GT(s->cpu_usage_ns, 10'000'000U) << "the shell's loop ran in the cgroup";
  EXPECT_EQ(s->memory_limit, static_cast<std::uint64_t>(256 * kMiB));
  EXPECT_EQ(slurp("/sys/fs/cgroup/cpu" + uniquePath() + "/cpu.cfs_quota_us"), "50000\n");
  cgroup->remove();
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/memory" + uniquePath()));
}

TEST_F(RealCgroup, V2AccountsTheCpuOfItsProcess) {
  const std::string mount = "/sys/fs/cgroup/unified";
  auto version = Cgroup::detect(mount);
  if (::geteuid() != 0 || !version || *version != Cgroup::Version::kV2) {
    GTEST_SKIP() << "needs root and a cgroup2 hierarchy at " << mount;
  }
  auto cgroup = Cgroup::create(uniquePath(), mount);
  ASSERT_TRUE(cgroup) << cgroup.error().message();
  auto s = burnIn(*cgroup);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_GT(s->cpu_usage_ns, 10'000'000U) << "cpu.stat's usage_usec, in ns";
  cgroup->remove();
  EXPECT_FALSE(std::filesystem::exists(mount + uniquePath()));
}

}  // namespace
}  // namespace rr::shim
