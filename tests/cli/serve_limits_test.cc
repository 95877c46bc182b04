// A long-lived `roadrunner serve` that runs out of descriptors keeps serving: accept fails with
// EMFILE while the process is full, and succeeds again once connections close.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../testing/serve_process.h"
#include "../testing/subprocess.h"
#include "roadrunner/sys/socket.h"

namespace rr {
namespace {

TEST(ServeLimitsTest, RunningOutOfDescriptorsDoesNotEndAccepting) {
  const testing::TempDir dir;
  const std::string sock = dir.file("sink.sock");
  testing::ServeProcess serve(RR_CLI,
                              {RR_GUEST_HASH_RECEIVER, "--listen", "unix:" + sock, "--name", "sink"},
                              {"prlimit", "--nofile=40", "--"},
                              {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
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
  const auto sent = testing::run({RR_CLI, "send", "--timeout", "10", "--to", "unix:" + sock,
                                  dir.file("in.txt")});
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
}

}  // namespace
}  // namespace rr
