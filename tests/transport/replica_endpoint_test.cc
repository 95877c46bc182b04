// ReplicaEndpoint against real SocketServers on loopback (127.0.0.1 and 127.0.0.2), with a
// resolver the test controls: the turns, a resolver that fails, a replica that goes away, and a
// name with no replicas.

#include "roadrunner/transport/replica_endpoint.h"

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/transport/socket_server.h"

#include "../testing/subprocess.h"
#include "../testing/tcp_listener.h"

namespace rr::transport {
namespace {

using host::Status;
using namespace std::chrono_literals;

// Counts the deliveries it handled and replies with one byte.
class CountingReceiver final : public host::Endpoint {
 public:
  void deliverAsync(const host::Delivery& d, host::Completion& c) override {
    std::vector<std::byte> buf(d.size());
    if (d.remote != nullptr && !d.remote->fill(buf, {})) {
      c.done({.status = Status::kUnavailable});
      return;
    }
    runs.fetch_add(1);
    c.done({.reply_len = 0});
  }
  std::atomic<int> runs{0};
};

class ReplicaEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (std::size_t i = 0; i < servers_.size(); ++i) {
      const std::string host = "127.0.0." + std::to_string(i + 1);
      auto s = SocketServer::start(
          *Address::parse("tcp:" + host + ":0"), &receivers_[i],
          {.timeout_seconds = 2 * rr::testing::timeScale(), .name = "sink", .secret = "s3cret"});
      ASSERT_TRUE(s.has_value()) << s.error().message();
      servers_[i] = std::move(*s);
    }
    answer({0, 1});
  }

  /// What the name resolves to from now on: these servers.
  void answer(const std::vector<std::size_t>& which) {
    const std::scoped_lock lock(mutex_);
    answer_.clear();
    for (const std::size_t i : which) {
      answer_.push_back(addresses_[i] = servers_[i] ? servers_[i]->address() : addresses_[i]);
    }
    failing_ = false;
  }
  void failResolving() {
    const std::scoped_lock lock(mutex_);
    failing_ = true;
  }

  ReplicaEndpoint endpoint() {
    return ReplicaEndpoint("dns:test",
                           [this]() -> Result<std::vector<Address>> {
                             const std::scoped_lock lock(mutex_);
                             ++resolutions_;
                             if (failing_) {
                               return fail(Errc::kNotFound, "resolve",
                                           "test: the resolver is down");
                             }
                             return answer_;
                           },
                           "sink",
                           {.socket = {.timeout_seconds = 2 * rr::testing::timeScale(),
                                       .connect_timeout_ms = 200,
                                       .secret = "s3cret"},
                            .refresh = 0ms});
  }

  static Status send(ReplicaEndpoint& ep) {
    const std::array<std::byte, 16> payload{};
    return ep.deliver({.source = "test", .payload = payload, .reply = {}}).status;
  }

  std::array<CountingReceiver, 2> receivers_;
  std::array<std::unique_ptr<SocketServer>, 2> servers_;
  std::array<Address, 2> addresses_;
  std::mutex mutex_;
  std::vector<Address> answer_;
  bool failing_ = false;
  int resolutions_ = 0;
};

TEST_F(ReplicaEndpointTest, DeliveriesTakeTurnsOverTheReplicas) {
  auto ep = endpoint();
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(send(ep), Status::kOk) << i;
  }
  EXPECT_EQ(receivers_[0].runs.load(), 5);
  EXPECT_EQ(receivers_[1].runs.load(), 5);
  EXPECT_EQ(ep.replicas().size(), 2U);
}

TEST_F(ReplicaEndpointTest, AStreamStaysWithTheReplicaItsFirstChunkReached) {
  auto ep = endpoint();
  const std::array<std::byte, 16> chunk{};
  for (int stream = 0; stream < 2; ++stream) {
    const std::uint64_t id = host::nextStreamId();
    for (std::uint64_t seq = 0; seq < 6; ++seq) {
      const host::Delivery d{
          .source = "test",
          .payload = seq < 5 ? std::span<const std::byte>(chunk) : std::span<const std::byte>{},
          .stream = {.event = seq < 5 ? host::StreamEvent::kData : host::StreamEvent::kEnd,
                     .id = id,
                     .seq = seq}};
      ASSERT_EQ(ep.deliver(d).status, Status::kOk) << stream << " " << seq;
    }
    // Every event of the stream so far went to one replica: 6 or 0, then 12, 6 or 0 each.
    EXPECT_EQ(receivers_[0].runs.load() % 6, 0) << "stream " << stream;
    EXPECT_EQ(receivers_[1].runs.load() % 6, 0) << "stream " << stream;
  }
  EXPECT_EQ(receivers_[0].runs.load() + receivers_[1].runs.load(), 12);
}

TEST_F(ReplicaEndpointTest, AResolverThatFailsKeepsTheReplicasItKnew) {
  auto ep = endpoint();
  ASSERT_EQ(send(ep), Status::kOk);
  failResolving();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(send(ep), Status::kOk) << i;
  }
  EXPECT_EQ(receivers_[0].runs.load() + receivers_[1].runs.load(), 5);
  EXPECT_GT(resolutions_, 2) << "asked again on each refresh";
}

TEST_F(ReplicaEndpointTest, AReplicaThatGoesAwayIsPassedOverAndNothingRunsTwice) {
  auto ep = endpoint();
  ASSERT_EQ(send(ep), Status::kOk);
  ASSERT_EQ(send(ep), Status::kOk);  // both replicas have a connection now
  servers_[1].reset();               // gone, still in the name's answer
  const int before = receivers_[0].runs.load();
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(send(ep), Status::kOk) << i;
  }
  EXPECT_EQ(receivers_[0].runs.load(), before + 6) << "each delivery ran once, on replica 0";
  EXPECT_EQ(receivers_[1].runs.load(), 1);
}

TEST_F(ReplicaEndpointTest, ANewReplicaInTheAnswerGetsDeliveries) {
  answer({0});
  auto ep = endpoint();
  ASSERT_EQ(send(ep), Status::kOk);
  answer({0, 1});
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(send(ep), Status::kOk) << i;
  }
  EXPECT_EQ(receivers_[1].runs.load(), 2);
}

TEST_F(ReplicaEndpointTest, ANameWithNoReplicasIsUnavailable) {
  answer({});
  auto ep = endpoint();
  const std::array<std::byte, 4> payload{};
  const auto result = ep.deliver({.source = "test", .payload = payload, .reply = {}});
  EXPECT_EQ(result.status, Status::kUnavailable);
  EXPECT_TRUE(result.not_sent);
  failResolving();
  EXPECT_EQ(send(ep), Status::kUnavailable);
}

// A resolver may answer with thousands of addresses: the endpoint keeps the first max_replicas.
TEST(ReplicaEndpointLimitsTest, AHugeAnswerIsCutToTheFirstMaxReplicas) {
  std::vector<Address> many;
  many.reserve(5000);
  for (int i = 0; i < 5000; ++i) {
    many.push_back(*Address::parse("tcp:10.1." + std::to_string(i / 250) + "." +
                                   std::to_string((i % 250) + 1) + ":9"));
  }
  ReplicaEndpoint ep("dns:many", [&]() -> Result<std::vector<Address>> { return many; }, "sink",
                     {});
  const auto kept = ep.replicas();
  ASSERT_EQ(kept.size(), ReplicaEndpointOptions{}.max_replicas);
  EXPECT_EQ(kept.front(), many.front().str());
  EXPECT_EQ(kept.back(), many[kept.size() - 1].str());
}

// A name whose 40 replicas all refuse: a delivery tries max_tries of them in each of its two
// passes (8 connect time-outs of 100 ms), not all 40 twice (8 s).
TEST(ReplicaEndpointLimitsTest, ADeliveryToUnreachableReplicasTriesMaxTriesOfThem) {
  std::vector<Address> closed;
  closed.reserve(40);
  {
    std::vector<std::unique_ptr<rr::testing::TcpListener>> listeners;
    for (int i = 0; i < 40; ++i) {
      listeners.push_back(std::make_unique<rr::testing::TcpListener>());
      closed.push_back(*Address::parse("tcp:127.0.0.1:" + listeners.back()->portText()));
    }
  }  // closed: nothing listens on those ports now
  ReplicaEndpoint ep("dns:gone", [&]() -> Result<std::vector<Address>> { return closed; }, "sink",
                     {.socket = {.connect_timeout_ms = 100, .secret = "s3cret"}, .refresh = 0ms});
  const auto start = std::chrono::steady_clock::now();
  const std::array<std::byte, 4> payload{};
  const auto result = ep.deliver({.source = "test", .payload = payload, .reply = {}});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.status, Status::kUnavailable);
  EXPECT_TRUE(result.not_sent);
  EXPECT_LT(took, 3s) << "one delivery tried more than 2 x max_tries replicas";
}

}  // namespace
}  // namespace rr::transport
