// The inter-node figure's link for real: a veth pair to a namespace of its own, shaped to the rate
// asked for. Bytes cross it no faster than that rate, a rate tc refuses is an error that leaves
// nothing behind, the namespace and both veth ends are gone once the link is, and a link whose
// run was killed is deleted by the next run's. Needs root and iproute2; skipped otherwise.

#include "../../bench/harness/test_link.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/sys/file_lock.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/sys/subprocess.h"
#include "roadrunner/sys/tcp.h"

namespace rr::bench {
namespace {

bool exists(const std::string& path) { return std::filesystem::exists(path); }

// The namespaces and veth ends this process's links are named after.
std::vector<std::string> leftovers() {
  const std::string id = std::to_string(::getpid());
  std::vector<std::string> out;
  for (const std::string& path :
       {"/run/netns/rrlink" + id, "/sys/class/net/rrlinkA" + id, "/sys/class/net/rrlinkB" + id}) {
    if (exists(path)) {
      out.push_back(path);
    }
  }
  return out;
}

class TestLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0 ||
        std::system("command -v ip >/dev/null && command -v tc >/dev/null") != 0) {
      GTEST_SKIP() << "a test link needs root, ip and tc";
    }
  }
};

TEST_F(TestLinkTest, CarriesBytesNoFasterThanItsRate) {
  auto link = TestLink::create("100mbit");
  ASSERT_TRUE(link) << link.error().message();
  auto listener = listenTcpIn(link->netns(), link->peerIp());
  ASSERT_TRUE(listener) << listener.error().message();
  const auto port = sys::localPort(listener->get());
  ASSERT_TRUE(port);
  constexpr std::size_t kBytes = 4U << 20U;  // 4 MiB: at least 0.34 s at 100 Mbit/s
  std::size_t received = 0;
  std::thread reader([&] {
    auto conn = sys::acceptConnection(listener->get());
    if (!conn) {
      return;
    }
    std::vector<char> buf(1U << 16U);
    for (ssize_t n = 1; n > 0;) {
      n = ::recv(conn->get(), buf.data(), buf.size(), 0);
      received += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  {
    auto conn = sys::connectTcp(link->peerIp(), *port, 5000);
    ASSERT_TRUE(conn) << conn.error().message();
    std::vector<char> payload(kBytes, 'x');
    iovec iov{.iov_base = payload.data(), .iov_len = payload.size()};
    EXPECT_TRUE(sys::sendAll(conn->get(), std::span(&iov, 1)));
  }
  reader.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(received, kBytes);
  EXPECT_GE(seconds, 0.9 * kBytes * 8 / 100e6) << "the link is not shaped";
  EXPECT_LE(seconds, 10.0);
}

TEST_F(TestLinkTest, LeavesNothingBehind) {
  {
    auto link = TestLink::create("1gbit");
    ASSERT_TRUE(link) << link.error().message();
    EXPECT_TRUE(exists("/run/netns/" + link->netns()));
    const TestLink moved = std::move(*link);  // the moved-from link owns nothing
    EXPECT_EQ(leftovers().size(), 2U) << "our veth end and the namespace";
  }
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(TestLinkTest, TheLinkOfAKilledRunIsDeletedByTheNext) {
  // A pid that no process has once its child is reaped.
  auto child = sys::Subprocess::spawn({.argv = {"true"}, .search_path = true});
  ASSERT_TRUE(child) << child.error().message();
  const pid_t gone = child->pid();
  ASSERT_EQ(child->waitFor(std::chrono::seconds(10)).value_or(-1), 0);
  const std::string id = std::to_string(gone);
  {
    // Planted under create()'s lock: another test process's create() must not sweep it half made.
    auto held = sys::FileLock::acquire(kTestLinkLock, std::chrono::seconds(60));
    ASSERT_TRUE(held) << held.error().message();
    ASSERT_EQ(std::system(("ip netns add rrlink" + id + " && ip link add rrlinkA" + id +
                           " type veth peer name rrlinkB" + id + " && ip link set rrlinkB" + id +
                           " netns rrlink" + id)
                              .c_str()),
              0);
    ASSERT_TRUE(exists("/run/netns/rrlink" + id));
  }
  {
    const auto link = TestLink::create("1gbit");
    ASSERT_TRUE(link) << link.error().message();
  }
  EXPECT_FALSE(exists("/run/netns/rrlink" + id));
  EXPECT_FALSE(exists("/sys/class/net/rrlinkA" + id));
}

TEST_F(TestLinkTest, ARateTcRefusesIsAnErrorAndLeavesNothingBehind) {
  const auto link = TestLink::create("fast");
  ASSERT_FALSE(link);
  EXPECT_NE(link.error().message().find("tc"), std::string::npos) << link.error().message();
  EXPECT_TRUE(leftovers().empty());
}

}  // namespace
}  // namespace rr::bench
