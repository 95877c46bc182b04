// `roadrunner serve` and `roadrunner send` as operators use them: two real processes.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <chrono>

#include "../testing/serve_process.h"
#include "../testing/subprocess.h"

namespace rr {
namespace {

class ServeProcess : public testing::ServeProcess {
 public:
  explicit ServeProcess(std::vector<std::string> args)
      : testing::ServeProcess(RR_CLI, std::move(args), {},
                              {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"}) {}
};

TEST(ServeCommandTest, SendDeliversAFileAndPrintsTheReply) {
  const testing::TempDir dir;
  const std::string sock = dir.file("run/sink.sock");
  ServeProcess serve({RR_GUEST_HASH_RECEIVER, "--listen", "unix:" + sock, "--name", "sink"});
  ASSERT_TRUE(serve.ready());
  testing::writeText(dir.file("in.txt"), std::string(3U << 20U, 'x'));
  const auto socket_path = testing::run({RR_CLI, "send", "--to", "unix:" + sock, dir.file("in.txt")});
  const auto memfd = testing::run({RR_CLI, "send", "--memfd", "--to", "unix:" + sock, dir.file("in.txt")});
  EXPECT_EQ(socket_path.exit_code, 0) << socket_path.err;
  EXPECT_EQ(memfd.exit_code, 0) << memfd.err;
  EXPECT_EQ(socket_path.out.size(), 8U);  // the receiver's 8-byte hash
  EXPECT_EQ(socket_path.out, memfd.out) << "both paths delivered the same bytes";
  EXPECT_NE(socket_path.err.find("2 host copies"), std::string::npos) << socket_path.err;
  EXPECT_NE(memfd.err.find("1 host copies"), std::string::npos) << memfd.err;
  EXPECT_EQ(serve.stop(SIGTERM), 0);
  EXPECT_NE(::access(sock.c_str(), F_OK), 0) << "the socket is removed on exit";
}

TEST(ServeCommandTest, SendToNobodyIsOneClearError) {
  const testing::TempDir dir;
  testing::writeText(dir.file("in.txt"), "x");
  const auto o = testing::run({RR_CLI, "send", "--to", "unix:" + dir.file("none.sock"),
                               dir.file("in.txt")});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("receiver unavailable"), std::string::npos) << o.err;
}

TEST(ServeCommandTest, ServeWithoutListenIsAUsageError) {
  const auto o = testing::run({RR_CLI, "serve", RR_GUEST_HASH_RECEIVER});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("--listen"), std::string::npos) << o.err;
}

TEST(ServeCommandTest, AllowNetTakesOnlyAnIpv4AddressAndPort) {
  const auto o = testing::run({RR_CLI, "serve", RR_GUEST_NET_PROBE, "--listen", "unix:/nowhere",
                               "--allow-net", "tcp:127.0.0.1:99999"});
  EXPECT_EQ(o.exit_code, 2) << o.err;
  EXPECT_NE(o.err.find("'tcp:127.0.0.1:99999' is not tcp:A.B.C.D:PORT"), std::string::npos)
      << o.err;
}

TEST(ServeCommandTest, KilledReceiverGivesTheNextSendAStatusAndARestartServesAgain) {
  const testing::TempDir dir;
  const std::string sock = dir.file("sink.sock");
  testing::writeText(dir.file("in.txt"), "payload");
  {
    ServeProcess serve({RR_GUEST_HASH_RECEIVER, "--listen", "unix:" + sock, "--name", "sink"});
    ASSERT_TRUE(serve.ready());
    EXPECT_EQ(serve.stop(SIGKILL), 128 + SIGKILL);
  }
  const auto down = testing::run({RR_CLI, "send", "--to", "unix:" + sock, dir.file("in.txt")});
  EXPECT_EQ(down.exit_code, 1) << down.err;
  ServeProcess again({RR_GUEST_HASH_RECEIVER, "--listen", "unix:" + sock, "--name", "sink"});
  ASSERT_TRUE(again.ready()) << "a stale socket file does not stop a restart";
  const auto up = testing::run({RR_CLI, "send", "--to", "unix:" + sock, dir.file("in.txt")});
  EXPECT_EQ(up.exit_code, 0) << up.err;
}

}  // namespace
}  // namespace rr

namespace rr {
namespace {

TEST(ServeCommandFaultTest, ReceiverKilledMidTransferGivesTheSenderAStatusPromptly) {
  const testing::TempDir dir;
  const std::string sock = dir.file("slow.sock");
  ServeProcess serve({RR_GUEST_SLOW_RECEIVER, "--listen", "unix:" + sock, "--name", "slow"});
  ASSERT_TRUE(serve.ready());
  testing::writeText(dir.file("in.bin"), std::string(4U << 20U, 's'));
  const std::string cmd = std::string(RR_CLI) + " send --to unix:" + sock + " " +
                          dir.file("in.bin") + " 2>" + dir.file("err");
  const auto t0 = std::chrono::steady_clock::now();
  FILE* sender = ::popen(cmd.c_str(), "r");
  ASSERT_NE(sender, nullptr);
  // The handler sleeps for 10 s; the receiver dies while the sender waits for its response.
  ::poll(nullptr, 0, 300);
  EXPECT_EQ(serve.stop(SIGKILL), 128 + SIGKILL);
  const int status = ::pclose(sender);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(8))
      << "the sender learned of the death from the socket, not from the handler's end";
  EXPECT_NE(testing::slurp(dir.file("err")).find("receiver unavailable"), std::string::npos);
}

}  // namespace
}  // namespace rr
