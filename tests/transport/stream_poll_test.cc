// A stream over a UNIX socket whose frames, after the first, the receiver's own thread reads and
// answers (SocketServer's StreamPoller): intact chunks in order, and every way a sender can stop
// mid-stream ends in an abort for the receiver, never a partial chunk or a silent end.

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
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

// FNV-1a: order matters, so a chunk of another seed or a stale slot differs (a plain sum of
// pattern() does not see a new seed in a chunk of a multiple of 256 bytes).
std::uint64_t digest(std::span<const std::byte> v) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::byte b : v) {
    h = (h ^ static_cast<std::uint8_t>(b)) * 0x100000001b3ULL;
  }
  return h;
}

// A receiver with a thread of its own, as FunctionActor has: it serves queued deliveries, polls
// its pollers between them and sleeps when none has work, so a stream's frames after its first
// reach it through handleStreamNow. It records every stream event it serves.
class PollingReceiver final : public host::Endpoint, private host::HandleNow {
 public:
  struct Event {
    StreamEvent event = StreamEvent::kNone;
    std::size_t bytes = 0;
    std::uint64_t hash = 0;
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
  // Each chunk's copy waits `delay` first: the sender is then as far ahead as it may get.
  void delayFills(std::chrono::milliseconds delay) { fill_delay_ms_ = delay.count(); }
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
      std::this_thread::sleep_for(std::chrono::milliseconds(fill_delay_ms_.load()));
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
          {.event = d.stream.event, .bytes = buf.size(), .hash = digest(buf), .polled = polled});
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
  std::atomic<std::int64_t> fill_delay_ms_{0};
  std::thread thread_;
};

// A sender that writes stream frames by hand.
class RawStream {
 public:
  explicit RawStream(const std::string& path) : fd_(*sys::connectUnix(path)) {}
  void send(std::uint32_t event, std::span<const std::byte> payload,
            std::uint64_t claimed_len = UINT64_MAX) {
    sendFrame({.flags = proto::kFlagStream,
               .source_len = 1,
               .target_len = 4,
               .payload_len = claimed_len != UINT64_MAX ? claimed_len : payload.size()},
              event, payload);
  }
  // A frame as given, with `pass` (a descriptor, or -1) alongside.
  void sendFrame(const proto::RequestHeader& h, std::uint32_t event,
                 std::span<const std::byte> payload, int pass = -1) {
    std::array<std::byte, proto::kRequestHeaderSize> header{};
    proto::encodeRequest(h, header);
    std::array<std::byte, proto::kStreamPartSize> part{};
    proto::encodeStreamPart({.event = event}, part);
    std::array<iovec, 4> iov = {iovec{header.data(), header.size()},
                                iovec{const_cast<char*>("xsink"), 5},
                                iovec{part.data(), part.size()},
                                iovec{const_cast<std::byte*>(payload.data()), payload.size()}};
    ASSERT_TRUE(sys::sendAll(fd_.get(), iov, pass));
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
    // No payload limit (`roadrunner serve --max-payload` allows one of 2^64 - 1): every bound on
    // a chunk is then the stream's own.
    auto s = SocketServer::start(Address{.path = path_}, &receiver_,
                                 {.max_payload = UINT64_MAX, .timeout_seconds = 1, .name = "sink"});
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
  // At least `n` events, or what came within ten seconds.
  std::vector<PollingReceiver::Event> awaitEvents(std::size_t n) {
    std::vector<PollingReceiver::Event> events;
    for (const auto deadline = Clock::now() + 10s; Clock::now() < deadline;) {
      events = receiver_.awaitLast(100ms);
      if (events.size() >= n) {
        break;
      }
      std::this_thread::sleep_for(5ms);
    }
    return events;
  }
  testing::TempDir dir_;
  std::string path_;
  PollingReceiver receiver_;  // outlives the server, which stops before it
  std::unique_ptr<SocketServer> server_;
};

TEST_F(StreamPollTest, ChunksAfterTheFirstAreReadByTheReceiversOwnThreadIntactAndInOrder) {
  SocketEndpoint ep(Address{.path = path_}, "sink", {});
  const std::uint64_t id = host::nextStreamId();
  std::vector<std::uint64_t> hashes;
  constexpr std::uint64_t kChunks = 40;
  for (std::uint64_t seq = 0; seq < kChunks; ++seq) {
    const auto chunk = pattern(65536 + seq * 4099, static_cast<unsigned>(seq));  // each its own
    hashes.push_back(digest(chunk));
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
    EXPECT_EQ(events[seq].hash, hashes[seq]) << seq;
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

// Read-only shared memfd mappings in this process: the rings a server holds for open streams.
int ringsMapped() {
  std::ifstream maps("/proc/self/maps");
  int n = 0;
  for (std::string line; std::getline(maps, line);) {
    n += line.find(" r--s ") != std::string::npos &&
                 line.find("memfd:roadrunner-payload") != std::string::npos
             ? 1
             : 0;
  }
  return n;
}

// Whether the server's rings are gone within a second (it unmaps after the last event's delivery).
bool ringsUnmapped() {
  for (const auto deadline = Clock::now() + 1s; Clock::now() < deadline;) {
    if (ringsMapped() == 0) {
      return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

TEST_F(StreamPollTest, ChunksThroughTheRingArriveIntactWhateverTheirSizeAndTheRingGoesAtTheEnd) {
  SocketEndpoint ep(Address{.path = path_}, "sink", {});
  const std::uint64_t id = host::nextStreamId();
  // Below the ring's threshold (the socket), in it, and larger than a slot (the socket again),
  // in turn, each chunk's bytes its own: a slot written too early or read stale fails a hash.
  // The chunks are made first and the receiver copies late, so the sender runs as far ahead as
  // it may: a slot written again before its chunk is answered is rewritten under the copy.
  receiver_.delayFills(5ms);
  const std::array<std::size_t, 8> sizes = {1000,    65536,     1U << 20U, 70001,
                                            3000000, 1U << 20U, 65535,     524289};
  std::vector<std::vector<std::byte>> chunks;
  std::vector<std::uint64_t> hashes;
  for (std::uint64_t seq = 0; seq < 3 * sizes.size(); ++seq) {
    chunks.push_back(pattern(sizes[seq % sizes.size()], static_cast<unsigned>(seq * 7 + 1)));
    hashes.push_back(digest(chunks.back()));
  }
  int rings_open = 0;
  for (std::uint64_t seq = 0; seq < chunks.size(); ++seq) {
    const auto& chunk = chunks[seq];
    const auto r = ep.deliver({.source = "test",
                               .payload = chunk,
                               .stream = {.event = StreamEvent::kData, .id = id, .seq = seq}});
    ASSERT_EQ(r.status, Status::kOk) << seq;
    constexpr std::uint64_t kLate = SocketEndpoint::kStreamWindow;
    EXPECT_EQ(r.copied_bytes,
              chunk.size() + (seq >= kLate ? sizes[(seq - kLate) % sizes.size()] : 0))
        << "two copies a chunk, the receiver's counted kStreamWindow chunks late";
    rings_open = std::max(rings_open, ringsMapped());
  }
  const std::uint64_t n = hashes.size();
  ASSERT_EQ(
      ep.deliver({.source = "test", .stream = {.event = StreamEvent::kEnd, .id = id, .seq = n}})
          .status,
      Status::kOk);
  const auto events = receiver_.awaitLast(10s);
  ASSERT_EQ(events.size(), n + 1);
  for (std::uint64_t seq = 0; seq < n; ++seq) {
    EXPECT_EQ(events[seq].bytes, sizes[seq % sizes.size()]) << seq;
    EXPECT_EQ(events[seq].hash, hashes[seq]) << seq;
  }
  EXPECT_EQ(events.back().event, StreamEvent::kEnd);
  EXPECT_EQ(rings_open, 1) << "the server maps the stream's ring while it is open";
  EXPECT_TRUE(ringsUnmapped()) << "and unmaps it at its end";
  EXPECT_EQ(server_->droppedConnections(), 0U);
}

// A size-sealed memfd of `size` bytes, as a sender's ring is.
UniqueFd ring(std::size_t size) { return *sys::makeSizeSealedMemfd(size); }

TEST_F(StreamPollTest, ARingFrameTheServerCannotTrustDropsTheConnectionAndNothingArrives) {
  const auto chunk = pattern(4096, 9);
  const proto::RequestHeader in_ring{.flags = proto::kFlagStream | proto::kFlagMemfd,
                                     .source_len = 1,
                                     .target_len = 4,
                                     .payload_len = chunk.size()};
  UniqueFd unsealed(::memfd_create("unsealed", MFD_CLOEXEC));
  ASSERT_EQ(::ftruncate(unsealed.get(), 1 << 20), 0);
  proto::RequestHeader past_its_end = in_ring;
  past_its_end.memfd_page = 256;  // 1 MiB in, in a ring of 1 MiB
  proto::RequestHeader wraps_around = in_ring;
  wraps_around.memfd_page = 1;
  wraps_around.payload_len = 0 - std::uint64_t{RR_PAGE_SIZE};  // + the page's offset: 0
  proto::RequestHeader end_in_ring = in_ring;
  end_in_ring.payload_len = 0;
  struct Case {
    const char* what;
    proto::RequestHeader header;
    std::uint32_t event;
    int pass;
  };
  const UniqueFd small = ring(1 << 20);
  const UniqueFd huge = ring(std::size_t{1} << 30U);
  const std::array<Case, 6> cases = {
      Case{"a chunk in a ring never passed", in_ring, proto::kStreamData, -1},
      Case{"a ring whose size is not sealed", in_ring, proto::kStreamData, unsealed.get()},
      Case{"a chunk past the ring's end", past_its_end, proto::kStreamData, small.get()},
      Case{"a length that wraps around", wraps_around, proto::kStreamData, small.get()},
      Case{"an end in the ring", end_in_ring, proto::kStreamEnd, small.get()},
      Case{"a ring of 1 GiB", in_ring, proto::kStreamData, huge.get()}};
  for (const Case& c : cases) {
    RawStream s(path_);
    s.sendFrame(c.header, c.event, {}, c.pass);
    EXPECT_TRUE(s.closedByServer()) << c.what;
  }
  // A ring passed again mid-stream, and a descriptor on a chunk on the socket.
  for (const bool on_socket : {false, true}) {
    RawStream s(path_);
    s.sendFrame(in_ring, proto::kStreamData, {}, small.get());
    ASSERT_EQ(s.status(), RR_OK);
    if (on_socket) {
      s.sendFrame({.flags = proto::kFlagStream,
                   .source_len = 1,
                   .target_len = 4,
                   .payload_len = chunk.size()},
                  proto::kStreamData, chunk, small.get());
    } else {
      s.sendFrame(in_ring, proto::kStreamData, {}, small.get());
    }
    EXPECT_TRUE(s.closedByServer()) << on_socket;
  }
  const auto events = awaitEvents(4);
  ASSERT_EQ(events.size(), 4U) << "the two streams' first chunks, each stream then aborted";
  EXPECT_EQ(events[0].bytes, chunk.size());
  EXPECT_EQ(events[0].hash, digest(std::vector<std::byte>(chunk.size())))
      << "the ring's bytes (zeros)";
  EXPECT_EQ(events[1].event, StreamEvent::kAbort);
  EXPECT_EQ(events[3].event, StreamEvent::kAbort);
  EXPECT_EQ(server_->droppedConnections(), cases.size() + 2);
  EXPECT_TRUE(ringsUnmapped());
}

}  // namespace
}  // namespace rr::transport
