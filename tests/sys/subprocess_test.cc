// Subprocess and readReadyLine against real children (/bin/sh).

#include "roadrunner/sys/subprocess.h"

#include <signal.h>

#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/sys/pipe.h"

namespace rr::sys {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

Subprocess shell(const std::string& script, std::vector<std::pair<int, int>> fds = {}) {
  auto p = Subprocess::spawn({.argv = {"/bin/sh", "-c", script}, .fds = std::move(fds)});
  EXPECT_TRUE(p.has_value()) << p.error().message();
  return std::move(*p);
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

TEST(SubprocessTest, WaitReturnsTheExitCode) {
  Subprocess p = shell("exit 3");
  auto code = p.waitFor(milliseconds(10'000));
  ASSERT_TRUE(code.has_value()) << code.error().message();
  EXPECT_EQ(*code, 3);
  EXPECT_EQ(p.pid(), -1) << "reaped";
}

TEST(SubprocessTest, WaitForAChildThatRunsOnTimesOutAndTheChildStillRuns) {
  Subprocess p = shell("exec sleep 60");
  const auto start = Clock::now();
  auto code = p.waitFor(milliseconds(200));
  ASSERT_FALSE(code.has_value());
  EXPECT_EQ(code.error().code, Errc::kTimedOut);
  EXPECT_GE(Clock::now() - start, milliseconds(200));
  EXPECT_TRUE(alive(p.pid()));
  EXPECT_EQ(p.stop(milliseconds(5'000)), 128 + SIGTERM);
}

TEST(SubprocessTest, DestructorKillsAndReapsARunningChild) {
  pid_t pid = -1;
  {
    Subprocess p = shell("exec sleep 60");
    pid = p.pid();
    ASSERT_TRUE(alive(pid));
  }
  EXPECT_FALSE(alive(pid)) << "neither running nor a zombie";
}

TEST(SubprocessTest, StopEscalatesToSigkillAfterTheGrace) {
  Subprocess p = shell("trap '' TERM; while :; do sleep 1; done");
  ::usleep(100'000);  // let the shell install its trap
  EXPECT_EQ(p.stop(milliseconds(300)), 128 + SIGKILL);
}

TEST(SubprocessTest, AStoppedChildsPeakIsItsOwnNotItsSpawnersResidentSet) {
  // 256 MiB resident here: a child's ru_maxrss starts at the RSS of the process that spawned it
  // (exec keeps the larger peak), which would make a small child look as large as this test.
  std::vector<char> held(std::size_t{256} << 20U);
  for (std::size_t i = 0; i < held.size(); i += 4096) {
    held[i] = 1;
  }
  Subprocess p = shell("exec sleep 60");
  ::usleep(100'000);  // the exec has happened
  EXPECT_EQ(p.stop(milliseconds(5'000)), 128 + SIGTERM);
  EXPECT_GT(p.peakRssBytes(), 0U);
  EXPECT_LT(p.peakRssBytes(), std::uint64_t{64} << 20U) << "sleep's own peak";
  EXPECT_EQ(held[4096], 1);
}

TEST(SubprocessTest, MissingProgramIsAnError) {
  auto p = Subprocess::spawn({.argv = {"/nonexistent/program"}});
  if (p) {  // glibc may report a failed exec as exit 127 instead
    EXPECT_EQ(p->waitFor(milliseconds(10'000)).value_or(-1), 127);
  } else {
    EXPECT_EQ(p.error().code, std::errc::no_such_file_or_directory);
  }
}

TEST(ReadyLineTest, ReturnsTheAddress) {
  auto pipe = makePipe();
  ASSERT_TRUE(pipe.has_value());
  Subprocess p = shell("echo 'ready unix:/run/x.sock' >&3", {{pipe->write_end.get(), 3}});
  pipe->write_end.reset();
  auto address = readReadyLine(pipe->read_end.get(), milliseconds(10'000));
  ASSERT_TRUE(address.has_value()) << address.error().message();
  EXPECT_EQ(*address, "unix:/run/x.sock");
}

TEST(ReadyLineTest, ChildThatNeverWritesTimesOutAtTheDeadline) {
  auto pipe = makePipe();
  ASSERT_TRUE(pipe.has_value());
  Subprocess p = shell("exec sleep 60", {{pipe->write_end.get(), 3}});  // holds fd 3 open
  pipe->write_end.reset();
  const auto start = Clock::now();
  auto address = readReadyLine(pipe->read_end.get(), milliseconds(300));
  ASSERT_FALSE(address.has_value());
  EXPECT_EQ(address.error().code, Errc::kTimedOut);
  EXPECT_GE(Clock::now() - start, milliseconds(300));
  EXPECT_LT(Clock::now() - start, milliseconds(5'000));
}

TEST(ReadyLineTest, ChildThatExitsWithoutALineIsAProtocolError) {
  auto pipe = makePipe();
  ASSERT_TRUE(pipe.has_value());
  Subprocess p = shell("echo 'listening' >&3; exit 1", {{pipe->write_end.get(), 3}});
  pipe->write_end.reset();
  auto address = readReadyLine(pipe->read_end.get(), milliseconds(10'000));
  ASSERT_FALSE(address.has_value());
  EXPECT_EQ(address.error().code, Errc::kProtocol);
  EXPECT_EQ(p.waitFor(milliseconds(10'000)).value_or(-1), 1);
}

TEST(SelfExecutableTest, IsThisProgramEvenWithAnInheritedLauncherPath) {
  // RR_SELF_EXE counts only under a bundle's loader (tests/dist/node_test.sh runs that case); a
  // program started any other way must not follow a value its parent left in the environment.
  ::setenv("RR_SELF_EXE", "/bin/false", 1);
  const std::string self = selfExecutable();
  ::unsetenv("RR_SELF_EXE");
  EXPECT_EQ(self, std::filesystem::read_symlink("/proc/self/exe").string());
  EXPECT_EQ(selfExecutable(), self);
}

}  // namespace
}  // namespace rr::sys
