// A stream over a UNIX socket whose frames, after the first, the receiver's own thread reads and
// answers (SocketServer's StreamPoller): intact chunks in order, and every way a sender can stop
// mid-stream ends in an abort for the receiver, never a partial chunk or a silent end.

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/proto/frame.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/transport/socket_endpoint.h"
#include "roadrunner/transport/socket_server.h"

#include "../testing/subprocess.h"

namespace rr::transport {
namespace {

using host::Status;
using host::StreamEvent;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::vector<std::byte> pattern(std::size_t n, unsigned seed) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = static_cast<std::byte>(i * 13 + seed);
  }
  return v;
}

std::uint64_t byteSum(std::span<const std::byte> v) {
  std::uint64_t s = 0;
  for (const std::byte b : v) {
    s += static_cast<std::uint8_t>(b);
  }
  return s;
}

// A receiver with a thread of its own, as FunctionActor has: it serves queued deliveries, polls
// its pollers between them and sleeps when none has work, so a stream's frames after its first
// reach it through handleStreamNow. It records every stream event it serves.
class PollingReceiver final : public host::Endpoint, private host::HandleNow {
 public:
  struct Event {
    StreamEvent event = StreamEvent::kNone;
    std::size_t bytes = 0;
    std::uint64_t sum = 0;
    bool polled = false;  // read by this thread itself, not handed over by the connection's
  };
  PollingReceiver() : thread_([this] { run(); }) {}
  ~PollingReceiver() override {
    {
      const std::scoped_lock lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  PollingReceiver(const PollingReceiver&) = delete;
  PollingReceiver& operator=(const PollingReceiver&) = delete;
  PollingReceiver(PollingReceiver&&) = delete;
  PollingReceiver& operator=(PollingReceiver&&) = delete;

  void deliverAsync(const host::Delivery& d, host::Completion& c) override {
    {
      const std::scoped_lock lock(mutex_);
      queue_.emplace_back(d, &c);
    }
    cv_.notify_all();
  }
  bool addPoller(host::Poller* poller) override {
    {
      const std::scoped_lock lock(pollers_mutex_);
      pollers_.push_back(poller);
    }
    wakeToPoll();
    return true;
  }
  void removePoller(host::Poller* poller) override {
    const std::scoped_lock lock(pollers_mutex_);  // held while this thread polls
    std::erase(pollers_, poller);
  }
  void wakeToPoll() override {
    {
      const std::scoped_lock lock(mutex_);
      wake_ = true;
    }
    cv_.notify_all();
  }
  // The events once one ends the stream, or what came by the deadline.
  std::vector<Event> awaitLast(Clock::duration within) {
    std::unique_lock lock(events_mutex_);
    events_cv_.wait_for(lock, within, [&] {
      return !events_.empty() && events_.back().event != StreamEvent::kData;
    });
    return events_;
  }

 private:
  host::DeliveryResult handleNow(const host::Delivery& /*delivery*/) override {
    return {.status = Status::kInvalid};  // only streams come this way here
  }
  void handleStreamNow(const host::Delivery& d, host::Completion& held) override {
    serve(d, held, true);
  }
  void serve(const host::Delivery& d, host::Completion& c, bool polled) {
    std::vector<std::byte> buf(d.size());
    host::DeliveryResult result;
    if (d.remote != nullptr) {
      auto filled = d.remote->fill(buf, {});
      if (!filled) {
        c.done({.status = Status::kUnavailable});
        return;
      }
      result.copied_bytes = *filled;
    }
    {
      const std::scoped_lock lock(events_mutex_);
      events_.push_back(
          {.event = d.stream.event, .bytes = buf.size(), .sum = byteSum(buf), .polled = polled});
    }
    events_cv_.notify_all();
    c.done(result);
  }
  bool pollAll() {
    const std::scoped_lock lock(pollers_mutex_);
    bool served = false;
    for (host::Poller* p : pollers_) {
      served = p->poll(*this) || served;
    }
    return served;
  }
  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (!queue_.empty()) {
        const auto [delivery, completion] = queue_.front();
        queue_.pop_front();
        lock.unlock();
        serve(delivery, *completion, false);
        lock.lock();
        continue;
      }
      lock.unlock();
      const bool served = pollAll();
      lock.lock();
      if (served || !sleepAll()) {
        continue;
      }
      cv_.wait(lock, [&] { return stopping_ || wake_ || !queue_.empty(); });
      wake_ = false;
      const std::scoped_lock polling(pollers_mutex_);
      for (host::Poller* p : pollers_) {
        p->wake();
      }
    }
  }
  bool sleepAll() {
    const std::scoped_lock lock(pollers_mutex_);
    return std::ranges::all_of(pollers_, [](host::Poller* p) { return p->sleep(); });
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<host::Delivery, host::Completion*>> queue_;
  bool wake_ = false;
  bool stopping_ = false;
  std::mutex pollers_mutex_;
  std::vector<host::Poller*> pollers_;
  std::mutex events_mutex_;
  std::condition_variable events_cv_;
  std::vector<Event> events_;
  std::thread thread_;
};

// A sender that writes stream frames by hand.
class RawStream {
 public:
  explicit RawStream(const std::string& path) : fd_(*sys::connectUnix(path)) {}
  void send(std::uint32_t event, std::span<const std::byte> payload,
            std::uint64_t claimed_len = UINT64_MAX) {
    std::array<std::byte, proto::kRequestHeaderSize> header{};
    proto::encodeRequest({.flags = proto::kFlagStream,
                          .source_len = 1,
                          .target_len = 4,
                          .payload_len = claimed_len != UINT64_MAX ? claimed_len : payload.size()},
                         header);
    std::array<std::byte, proto::kStreamPartSize> part{};
    proto::encodeStreamPart({.event = event}, part);
    std::array<iovec, 4> iov = {iovec{header.data(), header.size()},
                                iovec{const_cast<char*>("xsink"), 5},
                                iovec{part.data(), part.size()},
                                iovec{const_cast<std::byte*>(payload.data()), payload.size()}};
    ASSERT_TRUE(sys::sendAll(fd_.get(), iov));
  }
  void sendPlainFrame() {
    std::array<std::byte, proto::kRequestHeaderSize> header{};
    proto::encodeRequest({.source_len = 1, .target_len = 4, .payload_len = 0}, header);
    std::array<iovec, 2> iov = {iovec{header.data(), header.size()},
                                iovec{const_cast<char*>("xsink"), 5}};
    ASSERT_TRUE(sys::sendAll(fd_.get(), iov));
  }
  std::uint32_t status() {
    std::array<std::byte, proto::kResponseHeaderSize> raw{};
    if (!sys::recvExact(fd_.get(), raw)) {
      return UINT32_MAX;
    }
    auto response = proto::decodeResponse(raw);
    return response ? response->status : UINT32_MAX;
  }
  bool closedByServer() {
    std::array<std::byte, 64> buf{};
    for (;;) {
      const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
      if (n <= 0) {
        return true;
      }
    }
  }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
};

class StreamPollTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("sock/sink.sock");
    auto s = SocketServer::start(Address{.path = path_}, &receiver_,
                                 {.timeout_seconds = 1, .name = "sink"});
    ASSERT_TRUE(s.has_value()) << s.error().message();
    server_ = std::move(*s);
  }
  // Two chunks by hand, each answered: the second one read by the receiver's thread.
  void openWithTwoChunks(RawStream& s) {
    s.send(proto::kStreamData, pattern(1000, 1));
    ASSERT_EQ(s.status(), RR_OK);
    s.send(proto::kStreamData, pattern(2000, 2));
    ASSERT_EQ(s.status(), RR_OK);
  }
  testing::TempDir dir_;
  std::string path_;
  PollingReceiver receiver_;  // outlives the server, which stops before it
  std::unique_ptr<SocketServer> server_;
};

TEST_F(StreamPollTest, ChunksAfterTheFirstAreReadByTheReceiversOwnThreadIntactAndInOrder) {
  SocketEndpoint ep(Address{.path = path_}, "sink", {});
  const std::uint64_t id = host::nextStreamId();
  std::vector<std::uint64_t> sums;
  constexpr std::uint64_t kChunks = 40;
  for (std::uint64_t seq = 0; seq < kChunks; ++seq) {
    const auto chunk = pattern(65536 + seq * 4099, static_cast<unsigned>(seq));  // each its own
    sums.push_back(byteSum(chunk));
    const auto r = ep.deliver({.source = "test",
                               .payload = chunk,
                               .stream = {.event = StreamEvent::kData, .id = id, .seq = seq}});
    ASSERT_EQ(r.status, Status::kOk) << seq;
  }
  const auto end =
      ep.deliver({.source = "test", .stream = {.event = StreamEvent::kEnd, .id = id, .seq = 40}});
  ASSERT_EQ(end.status, Status::kOk);
  const auto events = receiver_.awaitLast(10s);
  ASSERT_EQ(events.size(), kChunks + 1);
  for (std::uint64_t seq = 0; seq < kChunks; ++seq) {
    EXPECT_EQ(events[seq].event, StreamEvent::kData);
    EXPECT_EQ(events[seq].bytes, 65536 + seq * 4099) << seq;
    EXPECT_EQ(events[seq].sum, sums[seq]) << seq;
    EXPECT_EQ(events[seq].polled, seq > 0) << "the connection's thread hands over the first only";
  }
  EXPECT_EQ(events.back().event, StreamEvent::kEnd);
  EXPECT_TRUE(events.back().polled);
  EXPECT_EQ(server_->droppedConnections(), 0U);
}

TEST_F(StreamPollTest, ASenderSilentPastTheTimeOutIsDroppedAndTheStreamAborted) {
  RawStream s(path_);
  openWithTwoChunks(s);
  const auto start = Clock::now();
  const auto events = receiver_.awaitLast(10s);  // nothing more is sent
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events.back().event, StreamEvent::kAbort);
  EXPECT_GE(Clock::now() - start, 900ms) << "the time-out is one second";
  EXPECT_TRUE(s.closedByServer());
  EXPECT_EQ(server_->droppedConnections(), 1U);
}

TEST_F(StreamPollTest, AnotherKindOfFrameMidStreamDropsTheConnectionAndAbortsTheStream) {
  RawStream s(path_);
  openWithTwoChunks(s);
  s.sendPlainFrame();
  EXPECT_TRUE(s.closedByServer());
  const auto events = receiver_.awaitLast(10s);
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events.back().event, StreamEvent::kAbort);
  EXPECT_EQ(server_->droppedConnections(), 1U);
}

TEST_F(StreamPollTest, ASenderGoneMidChunkAbortsTheStreamAndNoPartOfTheChunkArrives) {
  RawStream s(path_);
  openWithTwoChunks(s);
  s.send(proto::kStreamData, pattern(10, 3), 100000);  // 10 of 100,000 bytes, then gone
  s.close();
  const auto events = receiver_.awaitLast(10s);
  ASSERT_EQ(events.size(), 3U) << "two whole chunks, then the abort";
  EXPECT_EQ(events[1].bytes, 2000U);
  EXPECT_EQ(events.back().event, StreamEvent::kAbort);
}

TEST_F(StreamPollTest, ASenderThatClosesBetweenChunksAbortsTheStreamWithNoDrop) {
  RawStream s(path_);
  openWithTwoChunks(s);
  s.close();
  const auto events = receiver_.awaitLast(10s);
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events.back().event, StreamEvent::kAbort);
  EXPECT_EQ(server_->droppedConnections(), 0U) << "a close between frames is no protocol error";
}

}  // namespace
}  // namespace rr::transport
