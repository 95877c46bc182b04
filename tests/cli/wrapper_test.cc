// bin/roadrunner, the checkout's entry point, on a stand-in checkout: the real bin/roadrunner,
// scripts/lib/env.sh and cmake/link-atomically around a tiny CMake project whose `roadrunner`
// is a C program, and whose `rr_example_guests` copies one file. Building it takes seconds, so
// the wrapper's own rules are tested: build only what changed, one build at a time, and never
// pull a binary from under a command that runs it.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../testing/subprocess.h"

namespace rr {
namespace {

using testing::Outcome;

constexpr const char* kCMakeLists = R"(cmake_minimum_required(VERSION 3.28)
project(standin C)
option(RR_BUILD_TESTS "unused" ON)
add_executable(roadrunner src/main.c)
set_target_properties(roadrunner PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin
                      C_LINKER_LAUNCHER ${PROJECT_SOURCE_DIR}/cmake/link-atomically)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/guests/g.txt
                   COMMAND ${CMAKE_COMMAND} -E copy ${PROJECT_SOURCE_DIR}/guest/g.txt
                           ${PROJECT_BINARY_DIR}/guests/g.txt
                   DEPENDS ${PROJECT_SOURCE_DIR}/guest/g.txt)
add_custom_target(rr_example_guests DEPENDS ${PROJECT_BINARY_DIR}/guests/g.txt)
add_custom_target(rr_guests)
add_dependencies(rr_guests rr_example_guests)
)";

constexpr const char* kPresets = R"({
  "version": 6,
  "configurePresets": [
    { "name": "release", "generator": "Ninja", "binaryDir": "${sourceDir}/build/release",
      "cacheVariables": { "CMAKE_C_COMPILER": "gcc-14" } }
  ]
})";

// `version` prints the build's version; `up [MS [STARTED]]` creates the file STARTED, waits MS
// milliseconds, then starts itself again from /proc/self/exe, as `roadrunner up` starts its
// serving processes.
constexpr const char* kMain = R"(#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "version.h"
extern char** environ;
int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "up") == 0) {
    if (argc > 3) {
      fclose(fopen(argv[3], "w"));
    }
    usleep((useconds_t)atoi(argc > 2 ? argv[2] : "0") * 1000);
    char* child[] = {"/proc/self/exe", "version", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, child, environ);
    if (rc != 0) {
      fprintf(stderr, "spawn /proc/self/exe: %s\n", strerror(rc));
      return 1;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  printf("%s\n", VERSION);
  return 0;
}
)";

class WrapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace fs = std::filesystem;
    for (const char* dir : {"bin", "scripts/lib", "cmake", "src", "guest"}) {
      fs::create_directories(top_.file(dir));
    }
    for (const char* file : {"bin/roadrunner", "scripts/lib/env.sh", "cmake/link-atomically"}) {
      fs::copy_file(std::string(RR_SOURCE_DIR) + "/" + file, top_.file(file));
    }
    testing::writeText(top_.file("CMakeLists.txt"), kCMakeLists);
    testing::writeText(top_.file("CMakePresets.json"), kPresets);
    testing::writeText(top_.file("src/main.c"), kMain);
    setVersion("v1");
    testing::writeText(top_.file("guest/g.txt"), "guest 1\n");
  }

  void setVersion(const std::string& version) {
    testing::writeText(top_.file("src/version.h"), "#define VERSION \"" + version + "\"\n");
  }

  Outcome roadrunner(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {top_.file("bin/roadrunner")};
    argv.insert(argv.end(), args.begin(), args.end());
    // The stand-in builds with the tools at hand, never in a root of its own.
    return testing::run(argv, {"RR_ENV=native", "RR_QUIET=1"});
  }

  // Two calls started together.
  std::pair<Outcome, Outcome> together(const std::vector<std::string>& a,
                                       const std::vector<std::string>& b) const {
    auto first = std::async(std::launch::async, [&] { return roadrunner(a); });
    auto second = std::async(std::launch::async, [&] { return roadrunner(b); });
    return {first.get(), second.get()};
  }

  // How many times ninja has linked the binary in this tree.
  int links() const {
    const std::string log = testing::slurp(top_.file("build/release/.ninja_log"));
    int n = 0;
    for (std::size_t at = 0; (at = log.find("\tbin/roadrunner\t", at)) != std::string::npos; ++at) {
      ++n;
    }
    return n;
  }

  struct stat binary() const {
    struct stat st{};
    ::stat(top_.file("build/release/bin/roadrunner").c_str(), &st);
    return st;
  }

  testing::TempDir top_;
};

TEST_F(WrapperTest, BuildsOnceThenRunsWithoutBuilding) {
  const Outcome first = roadrunner({"version"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "v1\n");
  const struct stat built = binary();
  ASSERT_EQ(links(), 1);

  // Nothing changed: neither call builds, links or touches the binary, guests included.
  const auto [a, b] = together({"up"}, {"up"});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, "v1\n");
  EXPECT_EQ(b.out, "v1\n");
  const Outcome again = roadrunner({"up"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(links(), 1);
  EXPECT_EQ(binary().st_ino, built.st_ino);
  EXPECT_EQ(binary().st_mtim.tv_nsec, built.st_mtim.tv_nsec);
  EXPECT_EQ(binary().st_mtim.tv_sec, built.st_mtim.tv_sec);
  EXPECT_EQ(testing::slurp(top_.file("build/release/guests/g.txt")), "guest 1\n");

  // A changed guest is rebuilt by the commands that need guests, and only the guest.
  testing::writeText(top_.file("guest/g.txt"), "guest 2\n");
  EXPECT_EQ(roadrunner({"version"}).exit_code, 0);
  EXPECT_EQ(testing::slurp(top_.file("build/release/guests/g.txt")), "guest 1\n");
  EXPECT_EQ(roadrunner({"up"}).exit_code, 0);
  EXPECT_EQ(testing::slurp(top_.file("build/release/guests/g.txt")), "guest 2\n");
  EXPECT_EQ(links(), 1);
}

TEST_F(WrapperTest, CallsAtOnceAfterAChangeBuildOnceAndRunningCommandsKeepTheirBinary) {
  ASSERT_EQ(roadrunner({"up"}).exit_code, 0);
  ASSERT_EQ(links(), 1);
  // A long-running command on the first build: it starts itself again from /proc/self/exe
  // only after the rebuild below has replaced the binary.
  const std::string started = top_.file("started");
  auto running =
      std::async(std::launch::async, [&] { return roadrunner({"up", "3000", started}); });
  while (::access(started.c_str(), F_OK) != 0) {
    ::usleep(10 * 1000);
  }

  setVersion("v2");
  const auto [a, b] = together({"up"}, {"version"});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, "v2\n") << a.err;
  EXPECT_EQ(b.out, "v2\n") << b.err;
  EXPECT_EQ(links(), 2) << "both calls saw the change, and only one of them linked";

  const Outcome old = running.get();
  EXPECT_EQ(old.exit_code, 0) << old.err;
  EXPECT_EQ(old.out, "v1\n") << "a running command keeps the binary it started with";
}

TEST_F(WrapperTest, ManyCallsAtOnceOnAFreshTreeAllSucceed) {
  std::vector<std::future<Outcome>> calls;
  calls.reserve(4);
  for (int i = 0; i < 4; ++i) {
    calls.push_back(std::async(std::launch::async,
                               [&, i] { return roadrunner({i % 2 == 0 ? "up" : "version"}); }));
  }
  for (auto& call : calls) {
    const Outcome o = call.get();
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_EQ(o.out, "v1\n") << o.err;
  }
  EXPECT_EQ(links(), 1);
}

}  // namespace
}  // namespace rr
