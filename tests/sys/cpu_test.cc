// moveOffThisCpu: the thread lands on another CPU it may run on and keeps its affinity; where it
// may run on one CPU only, nothing changes.

#include "roadrunner/sys/cpu.h"

#include <sched.h>

#include <thread>

#include <gtest/gtest.h>

namespace rr::sys {
namespace {

cpu_set_t affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
  return set;
}

TEST(CpuTest, MovesToAnotherCpuAndKeepsItsAffinity) {
  const cpu_set_t before = affinity();
  if (CPU_COUNT(&before) < 2) {
    GTEST_SKIP() << "this process may run on one CPU only";
  }
  std::thread([&] {
    const int from = currentCpu();
    ASSERT_GE(from, 0);
    ASSERT_TRUE(moveOffThisCpu());
    EXPECT_NE(currentCpu(), from);
    const cpu_set_t after = affinity();
    EXPECT_TRUE(CPU_EQUAL(&after, &before)) << "the mask is what it was";
  }).join();
}

TEST(CpuTest, OnOneCpuNothingMoves) {
  std::thread([] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(static_cast<std::size_t>(currentCpu()), &one);
    ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
    const int cpu = currentCpu();
    EXPECT_FALSE(moveOffThisCpu());
    EXPECT_EQ(currentCpu(), cpu);
    const cpu_set_t after = affinity();
    EXPECT_TRUE(CPU_EQUAL(&after, &one));
  }).join();
}

}  // namespace
}  // namespace rr::sys
