// Kernel-mode transport: SocketEndpoint (sender side) against SocketServer (receiver side), in one
// process over real UNIX sockets, with a receiver that fills buffers the way FunctionActor does.

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "roadrunner/base/try.h"
#include "roadrunner/guest/abi.h"
#include "roadrunner/proto/frame.h"
#include "roadrunner/sys/mapping.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/transport/mailbox.h"
#include "roadrunner/transport/socket_endpoint.h"
#include "roadrunner/transport/socket_server.h"

#include "../testing/raw_mailbox.h"
#include "../testing/subprocess.h"

namespace rr::transport {
namespace {

using host::Status;

// A receiver whose "guest memory" is a page-aligned host buffer: it fills, checks, replies with
// the byte sum, and counts handler runs (which only happen after the whole payload arrived).
class SumReceiver final : public host::Endpoint {
 public:
  void deliverAsync(const host::Delivery& d, host::Completion& c) override {
    const std::size_t len = d.size();
    const std::size_t rounded = (len + 4095) / 4096 * 4096;
    auto mem = sys::Mapping::map(rounded == 0 ? 4096 : rounded, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS);
    if (!mem) {
      c.done({.status = Status::kNoMemory});
      return;
    }
    std::span<std::byte> dst(mem->data(), len);
    std::span<std::byte> pages(mem->data(), rounded);
    host::DeliveryResult r;
    if (d.remote != nullptr) {
      auto filled = d.remote->fill(dst, pages);
      if (!filled) {
        c.done({.status = Status::kUnavailable});
        return;
      }
      r.copied_bytes = *filled;
    } else {
      std::ranges::copy(d.payload, dst.begin());  // a mailbox frame: copied out like an actor
      r.copied_bytes = len;
    }
    handler_runs.fetch_add(1);
    {
      // Under a lock: over a mailbox, the sender learns of the answer through memory mapped at
      // another address, which ThreadSanitizer cannot see as synchronization.
      const std::scoped_lock lock(trace_mutex_);
      last_trace_ = d.trace;
    }
    std::uint64_t sum = 0;
    for (const std::byte b : dst) {
      sum += static_cast<std::uint8_t>(b);
    }
    if (d.remote != nullptr) {
      d.remote->detach();
    }
    r.reply_len = sizeof sum;
    if (d.reply.size() >= sizeof sum) {
      std::memcpy(d.reply.data(), &sum, sizeof sum);
    }
    c.done(r);
  }
  std::atomic<int> handler_runs{0};
  [[nodiscard]] host::TraceContext lastTrace() {
    const std::scoped_lock lock(trace_mutex_);
    return last_trace_;
  }

 private:
  std::mutex trace_mutex_;
  host::TraceContext last_trace_;
};

std::vector<std::byte> pattern(std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = static_cast<std::byte>(i * 13 + 7);
  }
  return v;
}

std::uint64_t byteSum(const std::vector<std::byte>& v) {
  std::uint64_t s = 0;
  for (const std::byte b : v) {
    s += static_cast<std::uint8_t>(b);
  }
  return s;
}

class UnixTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("sock/sink.sock");
    auto s = SocketServer::start(Address{.path = path_}, &receiver_,
                                 {.max_payload = 64U << 20U, .name = "sink"});
    ASSERT_TRUE(s.has_value()) << s.error().message();
    server_ = std::move(*s);
  }
  host::DeliveryResult send(SocketEndpoint& ep, const std::vector<std::byte>& payload,
                            std::uint64_t* sum = nullptr) {
    std::array<std::byte, 8> reply{};
    const auto r = ep.deliver({.source = "test", .payload = payload, .reply = reply});
    if (sum != nullptr) {
      std::memcpy(sum, reply.data(), sizeof *sum);
    }
    return r;
  }
  testing::TempDir dir_;
  std::string path_;
  SumReceiver receiver_;
  std::unique_ptr<SocketServer> server_;
};

TEST_F(UnixTransportTest, SocketAndMemfdPathsDeliverIntactBytes) {
  for (const std::uint64_t threshold : {UINT64_MAX, std::uint64_t{0}}) {
    SocketEndpoint ep(Address{.path = path_}, "sink", {.memfd_threshold = threshold});
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{4095},
                                std::size_t{65537}, std::size_t{16U << 20U}}) {
      const auto payload = pattern(n);
      std::uint64_t sum = 0;
      const auto r = send(ep, payload, &sum);
      ASSERT_EQ(r.status, Status::kOk) << n << " bytes, threshold " << threshold;
      EXPECT_EQ(sum, byteSum(payload)) << n;
      if (n > 0) {
        // socket: the sender's write and the receiver's read; memfd: the sender's copy, and
        // the receiver's of the partial last page (the rest is mapped)
        EXPECT_EQ(r.copied_bytes, threshold == 0 ? n + n % 4096 : 2 * n) << n;
      }
    }
  }
}

TEST_F(UnixTransportTest, TheSendersTraceContextReachesTheHandlerOnEveryPath) {
  host::TraceContext trace;
  trace.trace_id.fill(0x5A);
  trace.span_id.fill(0xC3);
  trace.flags = 1;
  for (const std::uint64_t threshold : {UINT64_MAX, std::uint64_t{0}}) {
    SocketEndpoint ep(Address{.path = path_}, "sink", {.memfd_threshold = threshold});
    // 1 KiB: the mailbox (or a memfd); 100 KB: the stream (or a memfd).
    for (const std::size_t n : {std::size_t{1024}, std::size_t{100000}}) {
      const auto payload = pattern(n);
      std::array<std::byte, 8> reply{};
      ASSERT_EQ(
          ep.deliver({.source = "test", .payload = payload, .reply = reply, .trace = trace}).status,
          Status::kOk);
      const host::TraceContext seen = receiver_.lastTrace();
      EXPECT_EQ(seen.trace_id, trace.trace_id) << n << " " << threshold;
      EXPECT_EQ(seen.span_id, trace.span_id) << n << " " << threshold;
      EXPECT_EQ(seen.flags, 1) << n;
      ASSERT_EQ(ep.deliver({.source = "test", .payload = payload, .reply = reply}).status,
                Status::kOk);
      EXPECT_FALSE(receiver_.lastTrace().valid()) << "no context sent, none received";
    }
  }
}

// While alive, no file of this process may grow past `bytes`: a larger memfd fails to size
// (ftruncate: EFBIG; SIGXFSZ ignored).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit low = old_;
    low.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &low);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    ::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit old_{};
  sighandler_t old_handler_ = SIG_DFL;
};

// A receiver that fills its buffer, notes what arrived, then holds the buffer until `release`
// before it reads it again, the way a long handler would: what it reads then must still be what
// arrived, whatever the sender did meanwhile. Its memory starts as zeros, so `tail_clean` says
// whether any byte past the payload in its last page came from the sender.
class HoldingReceiver final : public host::Endpoint {
 public:
  void deliverAsync(const host::Delivery& d, host::Completion& c) override {
    const std::size_t len = d.size();
    const std::size_t rounded = (len + 4095) / 4096 * 4096;
    auto mem = sys::Mapping::map(rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (!mem || d.remote == nullptr) {
      c.done({.status = Status::kNoMemory});
      return;
    }
    const std::span<std::byte> dst(mem->data(), len);
    auto filled = d.remote->fill(dst, mem->bytes());
    if (!filled) {
      c.done({.status = Status::kUnavailable});
      return;
    }
    arrived.assign(dst.begin(), dst.end());
    tail_clean = std::ranges::all_of(mem->bytes().subspan(len),
                                     [](std::byte b) { return b == std::byte{0}; });
    for (int i = 0; i < 1000 && !release.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    unchanged = std::ranges::equal(dst, arrived);
    d.remote->detach();
    finished.store(true);
    c.done({.copied_bytes = *filled, .handler_ns = 1});  // the handler ran
  }
  std::atomic<bool> release{true};
  std::atomic<bool> finished{false};
  std::vector<std::byte> arrived;
  bool tail_clean = false;
  bool unchanged = false;
};

// A sender's shared buffer: the range [kBuf, kBuf + kRange) of a mapping standing in for its
// linear memory, backed by a size-sealed memfd the way wasm::SharedPages backs one.
class SharedBufferSender {
 public:
  static constexpr std::size_t kBuf = 8 * 4096;
  static constexpr std::size_t kRange = 16 * 4096;
  explicit SharedBufferSender(sys::SharedFileKind kind = sys::SharedFileKind::kSealedMemfd)
      : kind_(kind) {
    auto m = sys::Mapping::map(32 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    EXPECT_TRUE(m.has_value());
    memory_ = std::move(*m);
    share();
  }
  // Backs the range with a fresh file holding its bytes: what SharedPages::detach does.
  void share() {
    auto file = sys::replaceWithSharedPages(range(), /*keep_bytes=*/true, kind_);
    ASSERT_TRUE(file.has_value()) << file.error().message();
    file_ = std::move(*file);
  }
  [[nodiscard]] std::span<std::byte> range() const { return memory_.bytes().subspan(kBuf, kRange); }
  // The payload `len` bytes from `offset` in the range, and where it also lives.
  [[nodiscard]] host::Delivery delivery(std::size_t offset, std::size_t len) const {
    struct stat st{};
    EXPECT_EQ(::fstat(file_.fd.get(), &st), 0);
    return {.source = "test",
            .payload = range().subspan(offset, len),
            .shared = host::SharedView{.fd = file_.fd.get(),
                                       .tid = static_cast<int>(::gettid()),
                                       .inode = static_cast<std::uint64_t>(st.st_ino),
                                       .offset = file_.offset + offset,
                                       .sealed = file_.sealed}};
  }
  [[nodiscard]] bool sealed() const { return file_.sealed; }

 private:
  sys::SharedFileKind kind_;
  sys::Mapping memory_;
  sys::SharedFile file_;
};

constexpr std::size_t kSharedLen = 5 * 4096 + 100;

// Fills `sender`'s range and delivers kSharedLen bytes of it, from its third page, to
// `receiver` behind a SocketServer, through an endpoint that puts every payload in a memfd;
// the bytes must arrive intact.
host::DeliveryResult deliverSharedPayload(SharedBufferSender& sender, HoldingReceiver& receiver) {
  const testing::TempDir dir;
  auto server = SocketServer::start(Address{.path = dir.file("sink.sock")}, &receiver,
                                    {.max_payload = 64U << 20U, .name = "sink"});
  EXPECT_TRUE(server.has_value()) << server.error().message();
  if (!server) {
    return {.status = Status::kUnavailable};
  }
  SocketEndpoint ep(Address{.path = dir.file("sink.sock")}, "sink", {.memfd_threshold = 0});
  std::ranges::copy(pattern(SharedBufferSender::kRange), sender.range().begin());
  const auto r = ep.deliver(sender.delivery(2 * 4096, kSharedLen));
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_TRUE(std::ranges::equal(receiver.arrived, sender.range().subspan(2 * 4096, kSharedLen)));
  return r;
}

// A payload in the sender's shared buffer passes as its memfd, read-only, from the payload's
// page: no copy on the sending side, its whole pages mapped on the receiving side and only the
// partial last page copied, never the sender's bytes that follow it.
TEST(UnixTransportSharedTest, ASharedPayloadPassesItsMemfdAndIsMappedNotCopied) {
  HoldingReceiver receiver;
  SharedBufferSender sender;
  const auto r = deliverSharedPayload(sender, receiver);
  EXPECT_TRUE(receiver.tail_clean) << "the sender's bytes past the payload reached the receiver";
  EXPECT_EQ(r.mapped_bytes, 5U * 4096) << "whole pages mapped";
  EXPECT_EQ(r.copied_bytes, 100U) << "the partial last page, by the receiver; none by the sender";
  EXPECT_FALSE(r.shared_held);
}

// A shared buffer of huge pages cannot be sealed, so it never crosses: its payload is copied into
// the endpoint's pooled memfd, as from a private buffer, and arrives intact.
TEST(UnixTransportSharedTest, AnUnsealedSharedPayloadIsCopiedNotPassed) {
  HoldingReceiver receiver;
  SharedBufferSender sender(sys::SharedFileKind::kHugePages);
  if (sender.sealed()) {
    GTEST_SKIP() << "no files of huge pages here (no CAP_SYS_ADMIN): shared buffers are memfds";
  }
  const auto r = deliverSharedPayload(sender, receiver);
  EXPECT_EQ(r.mapped_bytes, 0U) << "the sender's file never reached the receiving host";
  EXPECT_GE(r.copied_bytes, kSharedLen) << "the sender's copy into its pooled memfd";
  EXPECT_FALSE(r.shared_held);
}

// A sender that gives up waiting (its progress time-out) while the receiver still holds the
// pages gets shared_held: once its range moves to a fresh memfd, nothing it writes reaches that
// receiver. Without the move the receiver sees the writes: the check can fail.
TEST(UnixTransportSharedTest, ASenderThatGaveUpWritesNothingTheReceiverStillHoldsSees) {
  for (const bool detach : {true, false}) {
    SCOPED_TRACE(detach ? "range moved to a fresh memfd" : "range left as it was");
    const testing::TempDir dir;
    HoldingReceiver receiver;
    receiver.release = false;
    auto server = SocketServer::start(Address{.path = dir.file("sink.sock")}, &receiver,
                                      {.max_payload = 64U << 20U, .name = "sink"});
    ASSERT_TRUE(server.has_value()) << server.error().message();
    SocketEndpoint ep(Address{.path = dir.file("sink.sock")}, "sink",
                      {.memfd_threshold = 0, .timeout_seconds = 1});
    SharedBufferSender sender;
    std::ranges::copy(pattern(SharedBufferSender::kRange), sender.range().begin());
    const auto r = ep.deliver(sender.delivery(0, 8 * 4096));
    EXPECT_EQ(r.status, Status::kTimedOut);
    EXPECT_TRUE(r.shared_held);
    if (detach) {
      sender.share();
    }
    std::ranges::fill(sender.range(), std::byte{0xEE});
    receiver.release = true;
    for (int i = 0; i < 1000 && !receiver.finished; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(receiver.finished);
    EXPECT_EQ(receiver.unchanged, detach);
  }
}

TEST_F(UnixTransportTest, MemfdSlotThatFailsToGrowKeepsServingSmallerPayloads) {
  // The sending thread's memfd slot holds 64 KiB. A 1 MiB payload needs a larger memfd, which
  // cannot be sized (a file size limit; running out of descriptors does the same): that send
  // fails. The slot must still be usable afterwards: a send that fits it copies into its
  // mapping, which must still be mapped.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        SocketEndpoint ep(Address{.path = path_}, "sink", {.memfd_threshold = 0});
        const auto small = pattern(1000);
        std::uint64_t sum = 0;
        bool ok = send(ep, small, &sum).status == Status::kOk && sum == byteSum(small);
        {
          const FileSizeLimit no_larger_files(64U << 10U);
          ok = ok && send(ep, pattern(1U << 20U)).status == Status::kUnavailable;
        }
        sum = 0;
        ok = ok && send(ep, small, &sum).status == Status::kOk && sum == byteSum(small);
        std::_Exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(UnixTransportTest, SocketDirectoryIsPrivateAndSocketOwnerOnly) {
  struct stat dir_st{};
  struct stat sock_st{};
  ASSERT_EQ(::stat(dir_.file("sock").c_str(), &dir_st), 0);
  ASSERT_EQ(::stat(path_.c_str(), &sock_st), 0);
  EXPECT_EQ(dir_st.st_mode & 0777, 0700U);
  EXPECT_EQ(sock_st.st_mode & 0777, 0600U);
}

TEST_F(UnixTransportTest, WrongTargetNameIsUnknownTarget) {
  SocketEndpoint ep(Address{.path = path_}, "someone-else", {});
  EXPECT_EQ(send(ep, pattern(100)).status, Status::kUnknownTarget);
  EXPECT_EQ(receiver_.handler_runs.load(), 0);
  SocketEndpoint right(Address{.path = path_}, "sink", {});
  EXPECT_EQ(send(right, pattern(100)).status, Status::kOk);  // the server still serves
}

TEST_F(UnixTransportTest, ReceiverRestartIsReconnectedTransparently) {
  SocketEndpoint ep(Address{.path = path_}, "sink", {});
  ASSERT_EQ(send(ep, pattern(10)).status, Status::kOk);
  server_->stop();
  auto again = SocketServer::start(Address{.path = path_}, &receiver_, {.name = "sink"});
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_EQ(send(ep, pattern(10)).status, Status::kOk);
  (*again)->stop();
}

// A newer server that takes over the path (serve replaces a socket it finds there) keeps it when
// the older one stops: the older one removes only the socket file it bound itself.
TEST_F(UnixTransportTest, AServerThatLostItsPathToANewerOneLeavesTheNewerSocket) {
  auto newer = SocketServer::start(Address{.path = path_}, &receiver_, {.name = "sink"});
  ASSERT_TRUE(newer.has_value()) << newer.error().message();
  server_->stop();  // the older server, whose socket file is gone
  SocketEndpoint ep(Address{.path = path_}, "sink", {});
  EXPECT_EQ(send(ep, pattern(100)).status, Status::kOk) << "the newer socket is still there";
  (*newer)->stop();
  EXPECT_FALSE(std::filesystem::exists(path_)) << "the newer server removed its own socket";
}

TEST_F(UnixTransportTest, DeadReceiverIsAStatusAndTheSenderStaysUsable) {
  SocketEndpoint ep(Address{.path = path_}, "sink", {});
  server_->stop();
  EXPECT_EQ(send(ep, pattern(1000)).status, Status::kUnavailable);
  auto again = SocketServer::start(Address{.path = path_}, &receiver_, {.name = "sink"});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(send(ep, pattern(1000)).status, Status::kOk);
}

// Raw frames from a hand-written client.
class RawClient {
 public:
  explicit RawClient(const std::string& path) : fd_(*sys::connectUnix(path)) {}
  void sendBytes(std::span<const std::byte> bytes) {
    std::array<iovec, 1> iov = {iovec{const_cast<std::byte*>(bytes.data()), bytes.size()}};
    (void)sys::sendAll(fd_.get(), iov);
  }
  void sendHeader(const proto::RequestHeader& h, const std::string& names) {
    std::array<std::byte, proto::kRequestHeaderSize> raw{};
    proto::encodeRequest(h, raw);
    sendBytes(raw);
    sendBytes(std::as_bytes(std::span(names)));
  }
  // True once the server has closed the connection.
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

TEST_F(UnixTransportTest, MalformedFramesDropTheConnectionAndTheServerLives) {
  {
    RawClient c(path_);
    c.sendBytes(std::as_bytes(std::span("GET / HTTP/1.1\r\n\r\n  garbage garbage garbage")));
    EXPECT_TRUE(c.closedByServer());
  }
  {
    RawClient c(path_);  // a frame claiming 4 GiB
    c.sendHeader({.source_len = 1, .target_len = 4, .payload_len = 4ULL << 30}, "xsink");
    EXPECT_TRUE(c.closedByServer());
  }
  {
    RawClient c(path_);  // a truncated header, then gone
    const auto bytes = pattern(10);
    c.sendBytes(bytes);
    c.close();
  }
  {
    RawClient c(path_);  // a memfd frame without a descriptor
    c.sendHeader({.flags = proto::kFlagMemfd, .source_len = 1, .target_len = 4, .payload_len = 8},
                 "xsink");
    EXPECT_TRUE(c.closedByServer());
  }
  EXPECT_GE(server_->droppedConnections(), 3U);
  EXPECT_EQ(receiver_.handler_runs.load(), 0);
  SocketEndpoint ep(Address{.path = path_}, "sink", {});
  EXPECT_EQ(send(ep, pattern(100)).status, Status::kOk);
}

using testing::RawMailbox;

TEST_F(UnixTransportTest, HostileMailboxFramesDropTheirConnectionAndTheServerLives) {
  const auto payload = pattern(100);
  {
    RawMailbox m(path_);
    ASSERT_EQ(m.setUp().status, RR_OK);
    auto good = m.exchange(
        {.source_len = 1, .target_len = 4, .reply_cap = 8, .payload_len = payload.size()}, payload);
    ASSERT_TRUE(good.has_value()) << good.error().message();
    EXPECT_EQ(good->status, RR_OK);
    EXPECT_EQ(m.replyWord(), byteSum(payload));
    auto again = m.exchange({.source_len = 1, .target_len = 4, .payload_len = 3}, payload);
    ASSERT_TRUE(again.has_value()) << "one mailbox carries frame after frame";
    EXPECT_EQ(again->status, RR_OK);
  }
  const std::vector<proto::RequestHeader> hostile = {
      {.source_len = 1, .target_len = 300, .payload_len = 8},  // names too long
      {.source_len = 1, .target_len = 4, .payload_len = Mailbox::kMaxPayload + 1},  // too large
      {.flags = proto::kFlagChecksum, .source_len = 1, .target_len = 4, .payload_len = 8},
      {.flags = proto::kFlagMemfd, .source_len = 1, .target_len = 4, .payload_len = 8},
  };
  for (const auto& h : hostile) {
    RawMailbox m(path_);
    ASSERT_EQ(m.setUp().status, RR_OK);
    auto r = m.exchange(h, payload);
    ASSERT_FALSE(r.has_value()) << "answered a hostile frame";
    EXPECT_EQ(r.error().code, std::errc::connection_reset);
  }
  {
    RawMailbox m(path_);  // a mailbox whose size the sender could still change
    const int raw = ::memfd_create("unsealed", MFD_CLOEXEC);
    ASSERT_GE(raw, 0);
    const UniqueFd unsealed(raw);
    ASSERT_EQ(::ftruncate(unsealed.get(), Mailbox::kBytes), 0);
    EXPECT_EQ(m.setUp(unsealed.get()).status, RR_EPROTO);
  }
  EXPECT_EQ(receiver_.handler_runs.load(), 2);
  for (int i = 0; i < 200 && server_->droppedConnections() < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the last drop follows its answer
  }
  EXPECT_EQ(server_->droppedConnections(), 5U);
  SocketEndpoint ep(Address{.path = path_}, "sink", {});
  EXPECT_EQ(send(ep, pattern(100)).status, Status::kOk);
}

TEST(UnixTransportMailboxTest, SmallPayloadsSetUpAMailboxAndLargerOnesUseTheStream) {
  // A listener that records the first header of each connection, then hangs up.
  const testing::TempDir dir;
  auto listener = sys::listenUnix(dir.file("peek.sock"));
  ASSERT_TRUE(listener.has_value());
  std::vector<std::uint8_t> flags;
  std::thread peek([&] {
    for (int i = 0; i < 2; ++i) {
      auto conn = sys::acceptConnection(listener->get());
      std::array<std::byte, proto::kRequestHeaderSize> raw{};
      UniqueFd passed;
      if (!conn || !sys::recvExact(conn->get(), raw, &passed)) {
        return;
      }
      flags.push_back(proto::decodeRequest(raw, UINT64_MAX).value_or(proto::RequestHeader{}).flags);
    }
  });
  SocketEndpoint ep(Address{.path = dir.file("peek.sock")}, "peek", {.timeout_seconds = 2});
  for (const std::size_t n : {std::size_t{1} << 10U, Mailbox::kMaxPayload + 1}) {
    const auto payload = pattern(n);
    EXPECT_NE(ep.deliver({.source = "test", .payload = payload}).status, Status::kOk);
  }
  peek.join();
  ASSERT_EQ(flags.size(), 2U);
  EXPECT_EQ(flags[0], proto::kFlagMemfd | proto::kFlagMailbox);
  EXPECT_EQ(flags[1], 0);
}

// A server from before mailboxes refuses a set-up frame by closing the connection (its flag is
// unknown to it) and answers stream frames: each small send still arrives, by the stream.
TEST(UnixTransportMailboxTest, AServerFromBeforeMailboxesGetsTheStream) {
  const testing::TempDir dir;
  auto listener = sys::listenUnix(dir.file("old.sock"));
  ASSERT_TRUE(listener.has_value());
  std::vector<std::uint8_t> flags;
  std::uint64_t payload_bytes = 0;
  std::thread old_server([&] {
    for (int i = 0; i < 4; ++i) {
      auto conn = sys::acceptConnection(listener->get());
      std::array<std::byte, proto::kRequestHeaderSize> raw{};
      UniqueFd passed;
      if (!conn || !sys::recvExact(conn->get(), raw, &passed)) {
        return;
      }
      const auto h = proto::decodeRequest(raw, UINT64_MAX).value_or(proto::RequestHeader{});
      flags.push_back(h.flags);
      if (h.flags != 0) {
        continue;  // "unknown flags": closed, no answer
      }
      std::vector<std::byte> rest(std::size_t{h.source_len} + h.target_len + h.payload_len);
      if (!sys::recvExact(conn->get(), rest)) {
        return;
      }
      payload_bytes += h.payload_len;
      std::array<std::byte, proto::kResponseHeaderSize> answer{};
      proto::encodeResponse({.status = RR_OK, .handler_ns = 1}, answer);
      std::array<iovec, 1> iov = {iovec{answer.data(), answer.size()}};
      (void)sys::sendAll(conn->get(), iov);
    }
  });
  SocketEndpoint ep(Address{.path = dir.file("old.sock")}, "old", {.timeout_seconds = 5});
  const auto payload = pattern(1000);
  EXPECT_EQ(ep.deliver({.source = "test", .payload = payload}).status, Status::kOk);
  EXPECT_EQ(ep.deliver({.source = "test", .payload = payload}).status, Status::kOk);
  old_server.join();
  const std::vector<std::uint8_t> mailbox_then_stream = {
      proto::kFlagMemfd | proto::kFlagMailbox, 0, proto::kFlagMemfd | proto::kFlagMailbox, 0};
  EXPECT_EQ(flags, mailbox_then_stream) << "each send asks again, then takes the stream";
  EXPECT_EQ(payload_bytes, 2000U);
}

// Sleeps through its first delivery; answers the rest at once.
class SlowFirstReceiver final : public host::Endpoint {
 public:
  void deliverAsync(const host::Delivery& /*d*/, host::Completion& c) override {
    if (runs.fetch_add(1) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    }
    c.done({});
  }
  std::atomic<int> runs{0};
};

TEST(UnixTransportMailboxTest, ASenderThatTimedOutLeavesItsMailboxAndTheNextSendWorks) {
  const testing::TempDir dir;
  SlowFirstReceiver receiver;
  auto server =
      SocketServer::start(Address{.path = dir.file("slow.sock")}, &receiver, {.name = "slow"});
  ASSERT_TRUE(server.has_value());
  SocketEndpoint ep(Address{.path = dir.file("slow.sock")}, "slow", {.timeout_seconds = 1});
  const auto payload = pattern(1000);
  EXPECT_EQ(ep.deliver({.source = "test", .payload = payload}).status, Status::kTimedOut);
  EXPECT_EQ(ep.deliver({.source = "test", .payload = payload}).status, Status::kOk);
  (*server)->stop();  // joins the connection still in the slow handler
  EXPECT_EQ(receiver.runs.load(), 2);
}

TEST_F(UnixTransportTest, SenderDyingMidPayloadNeverReachesTheHandler) {
  {
    RawClient c(path_);
    c.sendHeader({.source_len = 1, .target_len = 4, .payload_len = 1U << 20U}, "xsink");
    const auto part = pattern(1000);
    c.sendBytes(part);  // 1000 of 1 MiB, then the sender dies
    c.close();
  }
  SocketEndpoint ep(Address{.path = path_}, "sink", {});
  EXPECT_EQ(send(ep, pattern(100)).status, Status::kOk);  // waits for the server: in order
  EXPECT_EQ(receiver_.handler_runs.load(), 1) << "only the complete payload reached a handler";
}

TEST(UnixTransportRefusalTest, SendAfterARefusedFrameNeverFindsTheConnectionStale) {
  // The server answers an oversized frame with kTooLarge and closes. The frame fits the socket
  // buffer (or is a memfd), so the sender's write succeeds and only that answer says so.
  const testing::TempDir dir;
  SumReceiver receiver;
  const Address address{.path = dir.file("sink.sock")};
  auto server = SocketServer::start(address, &receiver, {.max_payload = 1024, .name = "sink"});
  ASSERT_TRUE(server.has_value()) << server.error().message();
  for (const std::uint64_t threshold : {UINT64_MAX, std::uint64_t{0}}) {
    SocketEndpoint ep(address, "sink", {.memfd_threshold = threshold});
    for (int round = 0; round < 200; ++round) {
      ASSERT_EQ(ep.deliver({.source = "test", .payload = pattern(4096)}).status, Status::kTooLarge)
          << "round " << round << ", memfd from " << threshold;
      ASSERT_EQ(ep.deliver({.source = "test", .payload = pattern(10)}).status, Status::kOk)
          << "round " << round << ", memfd from " << threshold;
    }
  }
  EXPECT_EQ(receiver.handler_runs.load(), 400);
}

TEST(UnixTransportConnectionBoundTest, ConnectionsOverTheBoundAreClosedAndRoomIsMadeAgain) {
  const testing::TempDir dir;
  SumReceiver receiver;
  const Address address{.path = dir.file("sink.sock")};
  auto server = SocketServer::start(address, &receiver, {.name = "sink", .max_connections = 2});
  ASSERT_TRUE(server.has_value()) << server.error().message();
  std::vector<UniqueFd> idle;
  for (int i = 0; i < 2; ++i) {  // two senders that connect and say nothing
    auto fd = sys::connectUnix(address.path);
    ASSERT_TRUE(fd.has_value());
    idle.push_back(std::move(*fd));
  }
  const auto payload = pattern(100);
  const auto sendOnce = [&] {
    SocketEndpoint ep(address, "sink", {});
    return ep.deliver({.source = "test", .payload = payload}).status;
  };
  // The server may not have accepted both idle ones yet: the third is refused once it has.
  Status third = Status::kOk;
  for (int i = 0; i < 100 && third == Status::kOk; ++i) {
    third = sendOnce();
  }
  EXPECT_EQ(third, Status::kUnavailable);
  EXPECT_GE((*server)->droppedConnections(), 1U);
  idle.pop_back();  // one sender hangs up: its thread ends and is joined
  Status later = Status::kUnavailable;
  for (int i = 0; i < 100 && later != Status::kOk; ++i) {
    later = sendOnce();
    ::usleep(10'000);
  }
  EXPECT_EQ(later, Status::kOk);
}

TEST(UnixTransportSlowReceiverTest, SenderIsHeldBackAndTimesOut) {
  // A "receiver" that accepts but never reads: the kernel's socket buffer fills and the sender
  // blocks (bounded memory) until its progress timeout, then gets a status.
  const testing::TempDir dir;
  auto listener = sys::listenUnix(dir.file("slow.sock"));
  ASSERT_TRUE(listener.has_value());
  SocketEndpoint ep(Address{.path = dir.file("slow.sock")}, "slow", {.timeout_seconds = 1});
  const auto payload = pattern(32U << 20U);
  const auto r = ep.deliver({.source = "test", .payload = payload});
  EXPECT_EQ(r.status, Status::kTimedOut);
}

TEST(UnixTransportCredentialsTest, PeerWithAForeignUidIsDropped) {
  const testing::TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  SumReceiver receiver;
  auto server =
      SocketServer::start(Address{.path = dir.file("s/sink.sock")}, &receiver, {.name = "sink"});
  ASSERT_TRUE(server.has_value());
  if (::getuid() != 0) {
    GTEST_SKIP() << "needs root to connect as another uid";
  }
  ASSERT_EQ(::chmod(dir.file("s").c_str(), 0755), 0);  // let the other uid reach the socket
  ASSERT_EQ(::chmod(dir.file("s/sink.sock").c_str(), 0666), 0);
  // The intruder runs in a child process ("fast" style: a fork that runs this statement only,
  // against the server in this process).
  GTEST_FLAG_SET(death_test_style, "fast");
  EXPECT_EXIT(
      {
        if (::setresuid(65534, 65534, 65534) != 0) {
          std::_Exit(2);
        }
        SocketEndpoint ep(Address{.path = dir.file("s/sink.sock")}, "sink", {});
        const std::vector<std::byte> payload(10);
        const auto r = ep.deliver({.source = "intruder", .payload = payload});
        std::_Exit(r.status == Status::kUnavailable ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "")
      << "the intruder was served";
  EXPECT_EQ(receiver.handler_runs.load(), 0);
  // Two, as a rule: the mailbox's set-up, closed with no answer, then the stream the sender fell
  // back to. The server counts the second as its connection thread ends, which may be after the
  // intruder has exited. On a loaded machine the server may close the first before the sender
  // has written its set-up: the write fails, and the sender gives up with RR_EUNAVAILABLE
  // without a second connection.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((*server)->droppedConnections() < 2U && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GE((*server)->droppedConnections(), 1U);
  EXPECT_LE((*server)->droppedConnections(), 2U);
}

}  // namespace
}  // namespace rr::transport
