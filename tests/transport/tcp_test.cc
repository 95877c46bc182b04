// Network-mode transport: SocketEndpoint and SocketServer over TCP on loopback, with the shared
// secret, vmsplice sends, and hostile peers.

#include "roadrunner/sys/tcp.h"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstring>

#include <gtest/gtest.h>

#include "roadrunner/proto/frame.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/transport/socket_endpoint.h"
#include "roadrunner/transport/socket_server.h"

#include "../testing/subprocess.h"

namespace rr::transport {
namespace {

using host::Status;

// Fills like FunctionActor does (straight into the destination), replies with the byte sum.
class SumReceiver final : public host::Endpoint {
 public:
  void deliverAsync(const host::Delivery& d, host::Completion& c) override {
    std::vector<std::byte> buf(d.size());
    if (d.remote != nullptr) {
      if (auto filled = d.remote->fill(buf, {}); !filled) {
        c.done({.status = Status::kUnavailable});
        return;
      }
    }
    handler_runs.fetch_add(1);
    std::uint64_t sum = 0;
    for (const std::byte b : buf) {
      sum += static_cast<std::uint8_t>(b);
    }
    if (d.reply.size() >= sizeof sum) {
      std::memcpy(d.reply.data(), &sum, sizeof sum);
    }
    c.done({.reply_len = sizeof sum, .copied_bytes = d.size()});
  }
  std::atomic<int> handler_runs{0};
};

std::vector<std::byte> pattern(std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = static_cast<std::byte>(i * 31 + 3);
  }
  return v;
}

class TcpTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SocketServer::start(*Address::parse("tcp:127.0.0.1:0"), &receiver_,
                                 {.max_payload = 64U << 20U,
                                  .timeout_seconds = 2 * rr::testing::timeScale(),
                                  .name = "sink",
                                  .secret = "s3cret"});
    ASSERT_TRUE(s.has_value()) << s.error().message();
    server_ = std::move(*s);
  }
  SocketEndpoint endpoint(const std::string& secret = "s3cret") {
    return SocketEndpoint(server_->address(), "sink",
                          {.timeout_seconds = 2 * rr::testing::timeScale(),
                           .connect_timeout_ms = 300 * rr::testing::timeScale(),
                           .secret = secret});
  }
  static std::uint64_t sendSum(SocketEndpoint& ep, const std::vector<std::byte>& payload,
                               Status* status) {
    std::array<std::byte, 8> reply{};
    *status = ep.deliver({.source = "test", .payload = payload, .reply = reply}).status;
    std::uint64_t sum = 0;
    std::memcpy(&sum, reply.data(), sizeof sum);
    return sum;
  }
  SumReceiver receiver_;
  std::unique_ptr<SocketServer> server_;
};

TEST_F(TcpTransportTest, WritesAndVmspliceDeliverIntactBytes) {
  auto ep = endpoint();
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{65537},
                              std::size_t{300000}, std::size_t{16U << 20U}}) {
    const auto payload = pattern(n);
    std::uint64_t want = 0;
    for (const std::byte b : payload) {
      want += static_cast<std::uint8_t>(b);
    }
    Status status{};
    EXPECT_EQ(sendSum(ep, payload, &status), want) << n;
    EXPECT_EQ(status, Status::kOk) << n;
  }
  EXPECT_EQ(receiver_.handler_runs.load(), 5);
}

TEST_F(TcpTransportTest, WrongSecretIsRefusedBeforeAnyPayload) {
  auto ep = endpoint("guess");
  Status status{};
  (void)sendSum(ep, pattern(100), &status);
  EXPECT_EQ(status, Status::kUnavailable);
  EXPECT_EQ(receiver_.handler_runs.load(), 0);
  EXPECT_EQ(server_->droppedConnections(), 1U);
}

TEST_F(TcpTransportTest, ServerWithoutASecretRefusesToStart) {
  auto s = SocketServer::start(*Address::parse("tcp:127.0.0.1:0"), &receiver_, {});
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message().find("secret"), std::string::npos);
}

TEST_F(TcpTransportTest, ScannerSendingGarbageIsDroppedAndTheServerLives) {
  for (int i = 0; i < 3; ++i) {
    auto fd = sys::connectTcp("127.0.0.1", server_->address().port, 1000);
    ASSERT_TRUE(fd.has_value());
    const std::string junk(4096, 'G');
    ::send(fd->get(), junk.data(), junk.size(), MSG_NOSIGNAL);
    std::array<char, 256> buf{};
    while (::recv(fd->get(), buf.data(), buf.size(), 0) > 0) {
    }
  }
  EXPECT_EQ(server_->droppedConnections(), 3U);
  auto ep = endpoint();
  Status status{};
  (void)sendSum(ep, pattern(10), &status);
  EXPECT_EQ(status, Status::kOk);
}

TEST_F(TcpTransportTest, HugeAnnouncedLengthGetsTooLargeWithoutBeingRead) {
  // An authenticated client announcing 4 GiB: refused from the header alone.
  auto ep = endpoint();
  Status ok{};
  (void)sendSum(ep, pattern(1), &ok);
  ASSERT_EQ(ok, Status::kOk);
  const std::vector<std::byte> big(65U << 20U);  // over this server's 64 MiB limit
  Status status{};
  (void)sendSum(ep, big, &status);
  EXPECT_EQ(status, Status::kTooLarge);
  EXPECT_EQ(receiver_.handler_runs.load(), 1);
  (void)sendSum(ep, pattern(1), &ok);
  EXPECT_EQ(ok, Status::kOk) << "the sender reconnects";
}

TEST_F(TcpTransportTest, SendAfterARefusedFrameNeverFindsTheConnectionStale) {
  // The server answers an oversized frame with kTooLarge and closes. The frame fits the socket
  // buffer, so the sender's write succeeds and only that answer says so.
  auto strict = SocketServer::start(*Address::parse("tcp:127.0.0.1:0"), &receiver_,
                                    {.max_payload = 1024,
                                     .timeout_seconds = 2 * rr::testing::timeScale(),
                                     .name = "sink",
                                     .secret = "s3cret"});
  ASSERT_TRUE(strict.has_value()) << strict.error().message();
  SocketEndpoint ep((*strict)->address(), "sink",
                    {.timeout_seconds = 2 * rr::testing::timeScale(), .secret = "s3cret"});
  for (int round = 0; round < 200; ++round) {
    Status status{};
    (void)sendSum(ep, pattern(4096), &status);
    ASSERT_EQ(status, Status::kTooLarge) << "round " << round;
    (void)sendSum(ep, pattern(10), &status);
    ASSERT_EQ(status, Status::kOk) << "round " << round;
  }
  EXPECT_EQ(receiver_.handler_runs.load(), 200);
}

TEST_F(TcpTransportTest, PeerDownIsUnavailableWithinTheConnectBudget) {
  const Address gone = server_->address();
  server_->stop();
  SocketEndpoint ep(gone, "sink", {.connect_timeout_ms = 200, .secret = "s3cret"});
  const auto t0 = std::chrono::steady_clock::now();
  Status status{};
  (void)sendSum(ep, pattern(10), &status);
  EXPECT_EQ(status, Status::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5)) << "bounded";
}

TEST(AddressTest, ParsesUnixAndTcpAndRejectsTheRest) {
  EXPECT_EQ(Address::parse("unix:/run/x.sock")->path, "/run/x.sock");
  const auto tcp = Address::parse("tcp:localhost:7000");
  ASSERT_TRUE(tcp.has_value());
  EXPECT_EQ(tcp->host, "127.0.0.1");
  EXPECT_EQ(tcp->port, 7000);
  EXPECT_FALSE(Address::parse("tcp:host").has_value());
  EXPECT_FALSE(Address::parse("tcp:host:99999").has_value());
  EXPECT_FALSE(Address::parse("udp:1.2.3.4:5").has_value());
  EXPECT_FALSE(Address::parse("unix:").has_value());
}

}  // namespace
}  // namespace rr::transport
