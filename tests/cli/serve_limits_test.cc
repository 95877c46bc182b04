// A long-lived `roadrunner serve` that runs out of descriptors keeps serving: accept fails with
// EMFILE while the process is full, and succeeds again once connections close.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/sys/socket.h"

#include "../testing/serve_process.h"
#include "../testing/subprocess.h"

namespace rr {
namespace {

TEST(ServeLimitsTest, RunningOutOfDescriptorsDoesNotEndAccepting) {
  const testing::TempDir dir;
  const std::string sock = dir.file("sink.sock");
  testing::ServeProcess serve(
      RR_CLI, {RR_GUEST_HASH_RECEIVER, "--listen", "unix:" + sock, "--name", "sink"},
      {"prlimit", "--nofile=40", "--"}, {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  ASSERT_TRUE(serve.ready());
  testing::writeText(dir.file("in.txt"), "hello");
  {
    std::vector<UniqueFd> held;  // more connections than the server has descriptors left
    for (int i = 0; i < 60; ++i) {
      auto fd = sys::connectUnix(sock);
      ASSERT_TRUE(fd.has_value()) << fd.error().message();
      held.push_back(std::move(*fd));
    }
    ::usleep(300 * 1000);  // the server accepts until EMFILE
  }
  // Every held connection is closed; the server frees their descriptors and accepts again.
  const auto sent =
      testing::run({RR_CLI, "send", "--timeout", "10", "--to", "unix:" + sock, dir.file("in.txt")});
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
}

}  // namespace
}  // namespace rr

namespace rr {
namespace {

// serve --stats-every: a live view of the served function while it serves.
TEST(ServeLimitsTest, StatsEveryPrintsTheFunctionsRowWhileItServes) {
  const testing::TempDir dir;
  const std::string sock = dir.file("sink.sock");
  const std::string err = dir.file("serve.err");
  testing::ServeProcess serve(
      RR_CLI,
      {RR_GUEST_HASH_RECEIVER, "--listen", "unix:" + sock, "--name", "sink", "--stats-every", "50"},
      {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>'" + err + "'"},
      {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  ASSERT_TRUE(serve.ready());
  testing::writeText(dir.file("in.txt"), "hello");
  for (int i = 0; i < 3; ++i) {
    const auto sent = testing::run(
        {RR_CLI, "send", "--to", "unix:" + sock, "--target", "sink", dir.file("in.txt")});
    ASSERT_EQ(sent.exit_code, 0) << sent.err;
  }
  ::usleep(200 * 1000);
  EXPECT_EQ(serve.stop(SIGTERM), 0);
  const std::string stats = testing::slurp(err);
  EXPECT_NE(stats.find("roadrunner: after "), std::string::npos) << stats;
  // The last table counts the three deliveries: "sink ... received 3".
  const auto last = stats.rfind("\nsink ");
  ASSERT_NE(last, std::string::npos) << stats;
  const std::string row = stats.substr(last + 1, stats.find('\n', last + 1) - last - 1);
  EXPECT_NE(row.find("          3          0"), std::string::npos) << row;
}

}  // namespace
}  // namespace rr
