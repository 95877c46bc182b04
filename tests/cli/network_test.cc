// Network mode between two test hosts: network namespaces joined by a veth pair, created and
// removed by the test (root and iproute2 needed; skipped with the reason otherwise). Traffic
// stays on those addresses.

#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "../testing/serve_process.h"
#include "../testing/subprocess.h"

namespace rr {
namespace {

int sh(const std::string& command) { return std::system(command.c_str()); }

std::string fnv1aHex(const std::string& bytes) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : bytes) {
    h = (h ^ static_cast<std::uint8_t>(c)) * 1099511628211ULL;
  }
  std::string out(8, '\0');
  std::memcpy(out.data(), &h, 8);
  return out;
}

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::getuid() != 0 || sh("command -v ip >/dev/null") != 0) {
      GTEST_SKIP() << "network namespaces need root and iproute2";
    }
    const std::string id = std::to_string(::getpid() % 100000);
    a_ = "rra" + id;
    b_ = "rrb" + id;
    const std::string net = "10.231." + std::to_string(::getpid() % 250);
    addr_a_ = net + ".1";
    addr_b_ = net + ".2";
    const std::string setup =
        "set -e; ip netns add " + a_ + "; ip netns add " + b_ + "; ip link add " + a_ +
        " type veth peer name " + b_ + "; ip link set " + a_ + " netns " + a_ + "; ip link set " +
        b_ + " netns " + b_ + "; ip -n " + a_ + " addr add " + addr_a_ + "/24 dev " + a_ +
        "; ip -n " + b_ + " addr add " + addr_b_ + "/24 dev " + b_ + "; ip -n " + a_ +
        " link set " + a_ + " up; ip -n " + b_ + " link set " + b_ + " up; ip -n " + a_ +
        " link set lo up; ip -n " + b_ + " link set lo up";
    ASSERT_EQ(sh(setup), 0) << "could not create the test hosts";
    created_ = true;
    testing::writeText(secret_.file("secret"), "workflow-secret\n");
  }
  void TearDown() override {
    if (created_) {
      sh("ip netns del " + a_ + " 2>/dev/null; ip netns del " + b_ + " 2>/dev/null");
    }
  }
  // `roadrunner send` from host A.
  std::vector<std::string> sendFromA(const std::string& to, const std::string& file,
                                     const std::string& secret_file,
                                     const std::string& timeout = "5") {
    return {"/usr/bin/ip",   "netns",     "exec",      a_,         RR_CLI,
            "send",          "--to",      to,          "--target", "hash_receiver",
            "--secret-file", secret_file, "--timeout", timeout,    file};
  }
  std::unique_ptr<testing::ServeProcess> serveOnB() {
    return std::make_unique<testing::ServeProcess>(
        RR_CLI,
        std::vector<std::string>{RR_GUEST_HASH_RECEIVER, "--listen", "tcp:" + addr_b_ + ":0",
                                 "--secret-file", secret_.file("secret"), "--timeout", "3"},
        std::vector<std::string>{"ip", "netns", "exec", b_},
        std::vector<std::string>{"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  }

  std::string a_, b_, addr_a_, addr_b_;
  bool created_ = false;
  testing::TempDir secret_;
};

TEST_F(NetworkTest, TransferBetweenHostsArrivesIntact) {
  auto serve = serveOnB();
  ASSERT_TRUE(serve->ready());
  const std::string payload(8U << 20U, 'n');
  testing::writeText(secret_.file("in"), payload);
  const auto o =
      testing::run(sendFromA(serve->address(), secret_.file("in"), secret_.file("secret")));
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, fnv1aHex(payload)) << "the receiver on host B hashed exactly what A sent";
}

TEST_F(NetworkTest, WrongSecretFromAnotherHostIsRefused) {
  auto serve = serveOnB();
  ASSERT_TRUE(serve->ready());
  testing::writeText(secret_.file("wrong"), "guess\n");
  testing::writeText(secret_.file("in"), "hello");
  const auto o =
      testing::run(sendFromA(serve->address(), secret_.file("in"), secret_.file("wrong")));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("receiver unavailable"), std::string::npos) << o.err;
}

TEST_F(NetworkTest, LinkCutMidTransferGivesTheSenderAStatusAndBothSidesRecover) {
  auto serve = serveOnB();
  ASSERT_TRUE(serve->ready());
  // Slow A's link so a 48 MiB transfer takes seconds, then cut it once the transfer is under way.
  ASSERT_EQ(sh("ip netns exec " + a_ + " tc qdisc add dev " + a_ +
               " root tbf rate 100mbit burst 64kb latency 200ms"),
            0);
  testing::writeText(secret_.file("big"), std::string(48U << 20U, 'b'));
  const std::string out = secret_.file("send.err");
  const std::string cmd = "ip netns exec " + a_ + " " RR_CLI " send --to " + serve->address() +
                          " --target hash_receiver --secret-file " + secret_.file("secret") +
                          " --timeout 2 " + secret_.file("big") + " >/dev/null 2>" + out;
  FILE* sender = ::popen(cmd.c_str(), "r");
  ASSERT_NE(sender, nullptr);
  // Synchronise on the connection, not on time: wait until B has an established connection.
  bool established = false;
  for (int i = 0; i < 200 && !established; ++i) {
    established = sh("ip netns exec " + b_ + " ss -tnH state established | grep -q .") == 0;
    if (!established) {
      ::poll(nullptr, 0, 25);
    }
  }
  ASSERT_TRUE(established);
  ASSERT_EQ(sh("ip -n " + a_ + " link set " + a_ + " down"), 0);
  const int status = ::pclose(sender);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string err = testing::slurp(out);
  EXPECT_TRUE(err.find("timed out") != std::string::npos ||
              err.find("unavailable") != std::string::npos)
      << err;
  // Both sides recover: the link comes back, the same server takes a new transfer.
  ASSERT_EQ(sh("ip -n " + a_ + " link set " + a_ + " up && ip netns exec " + a_ +
               " tc qdisc del dev " + a_ + " root"),
            0);
  testing::writeText(secret_.file("small"), "after the cut");
  const auto o =
      testing::run(sendFromA(serve->address(), secret_.file("small"), secret_.file("secret")));
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, fnv1aHex("after the cut"));
}

}  // namespace
}  // namespace rr
