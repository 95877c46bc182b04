// `roadrunner serve` and `roadrunner send` as operators use them: two real processes.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/guest/abi.h"
#include "roadrunner/transport/socket_endpoint.h"

#include "../testing/raw_mailbox.h"
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
  const auto socket_path =
      testing::run({RR_CLI, "send", "--to", "unix:" + sock, dir.file("in.txt")});
  const auto memfd =
      testing::run({RR_CLI, "send", "--memfd", "--to", "unix:" + sock, dir.file("in.txt")});
  EXPECT_EQ(socket_path.exit_code, 0) << socket_path.err;
  EXPECT_EQ(memfd.exit_code, 0) << memfd.err;
  EXPECT_EQ(socket_path.out.size(), 8U);  // the receiver's 8-byte hash
  EXPECT_EQ(socket_path.out, memfd.out) << "both paths delivered the same bytes";
  EXPECT_NE(socket_path.err.find("2 host copies"), std::string::npos) << socket_path.err;
  EXPECT_NE(memfd.err.find("1 host copies"), std::string::npos) << memfd.err;
  EXPECT_EQ(serve.stop(SIGTERM), 0);
  EXPECT_NE(::access(sock.c_str(), F_OK), 0) << "the socket is removed on exit";
}

// A field of /proc/PID/status in its own unit (kB for Vm*), or -1.
long procStatus(pid_t pid, const std::string& field) {
  const std::string status = testing::slurp("/proc/" + std::to_string(pid) + "/status");
  const auto at = status.find("\n" + field + ":");
  return at == std::string::npos ? -1 : std::stol(status.substr(at + field.size() + 2));
}

TEST(ServeCommandTest, ThreadsAndAddressSpaceStayFlatOverManyShortConnections) {
  // Each sender connects, sends once and hangs up. A server that kept each finished connection
  // thread unjoined would keep its stack mapped: 8 MiB of address space per connection.
  const testing::TempDir dir;
  const std::string sock = dir.file("sink.sock");
  ServeProcess serve({RR_GUEST_HASH_RECEIVER, "--listen", "unix:" + sock, "--name", "sink"});
  ASSERT_TRUE(serve.ready());
  const std::vector<std::byte> payload(100, std::byte{7});
  const auto connectSendHangUp = [&] {
    transport::SocketEndpoint ep(transport::Address{.path = sock}, "sink", {});
    return ep.deliver({.source = "test", .payload = payload}).status;
  };
  for (int i = 0; i < 50; ++i) {  // warm up: the actor, the allocator's arenas
    ASSERT_EQ(connectSendHangUp(), host::Status::kOk);
  }
  constexpr long kSlackKib = 160L * 1024;
  const long threads_before = procStatus(serve.pid(), "Threads");
  const long vm_before_kib = procStatus(serve.pid(), "VmSize");
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(connectSendHangUp(), host::Status::kOk) << "connection " << i;
  }
  // A connection thread may still be on its way out when its sender has its reply. Room for two
  // more of glibc's malloc arenas (64 MiB of address space each, at most 8 per core, made when
  // threads overlap): 300 kept thread stacks would be 2,400 MiB.
  long threads_after = 0;
  long vm_after_kib = 0;
  for (int tries = 0; tries < 100; ++tries) {
    threads_after = procStatus(serve.pid(), "Threads");
    vm_after_kib = procStatus(serve.pid(), "VmSize");
    if (threads_after <= threads_before && vm_after_kib <= vm_before_kib + kSlackKib) {
      break;
    }
    ::usleep(20'000);
  }
  EXPECT_LE(threads_after, threads_before);
  EXPECT_LE(vm_after_kib, vm_before_kib + kSlackKib)
      << "VmSize grew from " << vm_before_kib << " kB to " << vm_after_kib << " kB";
  EXPECT_EQ(serve.stop(SIGTERM), 0);
}

TEST(ServeCommandTest, SendToNobodyIsOneClearError) {
  const testing::TempDir dir;
  testing::writeText(dir.file("in.txt"), "x");
  const auto o =
      testing::run({RR_CLI, "send", "--to", "unix:" + dir.file("none.sock"), dir.file("in.txt")});
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

namespace rr {
namespace {

using host::Status;

// A served receiver (a real guest under `roadrunner serve`) reached from this process through a
// SocketEndpoint: kernel mode with the payload on the stream or in a memfd, and network mode
// over loopback TCP.
enum class Path { kSocket, kMemfd, kTcp };

class ServedTransportTest : public ::testing::TestWithParam<Path> {
 protected:
  static constexpr const char* kSecret = "served-transport-secret";
  /// Serves `wasm` as "sink", with `flags` added.
  std::unique_ptr<ServeProcess> serve(const std::string& wasm,
                                      const std::vector<std::string>& flags = {}) {
    const bool tcp = GetParam() == Path::kTcp;
    std::vector<std::string> args = {wasm, "--name", "sink", "--listen",
                                     tcp ? "tcp:127.0.0.1:0" : "unix:" + dir_.file("sink.sock")};
    if (tcp) {
      testing::writeText(dir_.file("secret"), std::string(kSecret) + "\n");
      args.insert(args.end(), {"--secret-file", dir_.file("secret")});
    }
    args.insert(args.end(), flags.begin(), flags.end());
    return std::make_unique<ServeProcess>(std::move(args));
  }
  /// A sender whose socket calls give up after `timeout_seconds` without progress.
  [[nodiscard]] transport::SocketEndpoint endpoint(const ServeProcess& served,
                                                   int timeout_seconds) const {
    return transport::SocketEndpoint(
        transport::Address::parse(served.address()).value(), "sink",
        {.memfd_threshold = GetParam() == Path::kMemfd ? 0 : UINT64_MAX,
         .timeout_seconds = timeout_seconds,
         .secret = kSecret});
  }
  testing::TempDir dir_;
};

TEST_P(ServedTransportTest, ReplyOverTheServersBufferIsTooLargeAtOnceWithItsFullLength) {
  const auto served = serve(RR_GUEST_BIG_REPLY_RECEIVER);
  ASSERT_TRUE(served->ready());
  const int timeout_seconds = 10 * testing::timeScale();
  auto ep = endpoint(*served, timeout_seconds);
  std::vector<std::byte> reply(32U << 20U);  // more than the serving process buffers
  const auto ask = [&](std::uint32_t reply_len) {
    std::array<std::byte, 4> payload{};
    std::memcpy(payload.data(), &reply_len, sizeof reply_len);
    return ep.deliver({.source = "test", .payload = payload, .reply = reply});
  };
  const auto intact = [&](std::uint32_t n) {
    for (std::uint32_t i = 0; i < n; ++i) {
      if (reply[i] != static_cast<std::byte>(i * 7 + 1)) {
        return false;
      }
    }
    return true;
  };
  constexpr std::uint32_t kServerBuffer = 16U << 20U;  // ARCHITECTURE.md, "Reply path"
  for (const std::uint32_t over : {kServerBuffer + 1, 20U << 20U}) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = ask(over);
    EXPECT_EQ(r.status, Status::kReplyTooLarge) << over;
    EXPECT_EQ(r.reply_len, over) << "the reply's full length";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(timeout_seconds))
        << "answered at once, not after the socket timeout";
  }
  // The connection stayed in step: replies up to the server's buffer arrive whole.
  for (const std::uint32_t fits : {kServerBuffer, 1000U}) {
    const auto r = ask(fits);
    EXPECT_EQ(r.status, Status::kOk) << fits;
    EXPECT_EQ(r.reply_len, fits);
    EXPECT_TRUE(intact(fits)) << fits;
  }
}

TEST_P(ServedTransportTest, SendAfterARefusedFrameNeverFindsTheConnectionStale) {
  const auto served = serve(RR_GUEST_HASH_RECEIVER, {"--max-payload", "1024"});
  ASSERT_TRUE(served->ready());
  auto ep = endpoint(*served, 10 * testing::timeScale());
  // Refused from its header alone; small enough to fit the socket buffer, so the sender's write
  // succeeds and only the answer tells it the server is closing the connection.
  const std::vector<std::byte> oversized(4096);
  const std::vector<std::byte> small(10);
  for (int round = 0; round < 200; ++round) {
    ASSERT_EQ(ep.deliver({.source = "test", .payload = oversized}).status, Status::kTooLarge)
        << "round " << round;
    std::uint64_t hash = 0;
    ASSERT_EQ(ep.deliver({.source = "test",
                          .payload = small,
                          .reply = std::as_writable_bytes(std::span(&hash, 1))})
                  .status,
              Status::kOk)
        << "round " << round;
  }
}

TEST_P(ServedTransportTest, ServedFunctionRoutesItsOwnNameAndKnownNamesAsNotAllowed) {
  const auto served = serve(RR_GUEST_ROUTE_PROBE, {"--known", "peer"});
  ASSERT_TRUE(served->ready());
  auto ep = endpoint(*served, 10 * testing::timeScale());
  const auto routed = [&](const std::string& name) {
    rr_status_t status = RR_STATUS_MAX + 1;
    const auto r = ep.deliver({.source = "test",
                               .payload = std::as_bytes(std::span(name)),
                               .reply = std::as_writable_bytes(std::span(&status, 1))});
    EXPECT_EQ(r.status, Status::kOk) << name;
    return status;
  };
  // As in embedded mode: a name that exists but has no edge from the sender is not allowed.
  EXPECT_EQ(routed("sink"), RR_ENOT_ALLOWED) << "its own name (--name)";
  EXPECT_EQ(routed("peer"), RR_ENOT_ALLOWED) << "a name given with --known";
  EXPECT_EQ(routed("nobody"), RR_EUNKNOWN_TARGET);
}

// A served receiver's mailboxes, which its own actor thread polls and answers (host::Poller):
// the connection's thread only watches the socket.
class ServedMailboxTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServeProcess> serve(const std::string& wasm,
                                      const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args = {wasm, "--name", "sink", "--listen", "unix:" + socket()};
    args.insert(args.end(), flags.begin(), flags.end());
    return std::make_unique<ServeProcess>(std::move(args));
  }
  [[nodiscard]] std::string socket() const { return dir_.file("sink.sock"); }
  testing::TempDir dir_;
};

std::uint64_t fnv1a(std::span<const std::byte> bytes) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const std::byte b : bytes) {
    h = (h ^ static_cast<std::uint8_t>(b)) * 1099511628211ULL;
  }
  return h;
}

TEST_F(ServedMailboxTest, RoundsAfterTheReceiverHasSleptAreAnsweredAtOnce) {
  const auto served = serve(RR_GUEST_HASH_RECEIVER);
  ASSERT_TRUE(served->ready());
  const int timeout_seconds = 10 * testing::timeScale();
  transport::SocketEndpoint ep(transport::Address::parse(served->address()).value(), "sink",
                               {.memfd_threshold = UINT64_MAX, .timeout_seconds = timeout_seconds});
  // Gaps past the receiver's spin (20 us) put it to sleep: only the sender's bell, which the
  // connection's thread turns into a wake-up, brings it back.
  const std::array<std::chrono::microseconds, 8> gaps = {
      std::chrono::microseconds(0),   std::chrono::microseconds(0),
      std::chrono::microseconds(100), std::chrono::microseconds(2000),
      std::chrono::microseconds(0),   std::chrono::microseconds(30000),
      std::chrono::microseconds(10),  std::chrono::microseconds(100000)};
  std::vector<std::byte> payload;
  for (std::size_t round = 0; round < 3 * gaps.size(); ++round) {
    std::this_thread::sleep_for(gaps[round % gaps.size()]);
    payload.resize(1 + (round * 7919) % (64U << 10U));  // every round another size and content
    for (std::size_t i = 0; i < payload.size(); ++i) {
      payload[i] = static_cast<std::byte>((i * 31) ^ (round * 101));
    }
    std::uint64_t hash = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = ep.deliver({.source = "test",
                               .payload = payload,
                               .reply = std::as_writable_bytes(std::span(&hash, 1))});
    ASSERT_EQ(r.status, Status::kOk) << "round " << round;
    EXPECT_EQ(hash, fnv1a(payload)) << "round " << round;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(timeout_seconds / 2))
        << "round " << round << ": answered at once, not at the sender's time-out";
  }
}

TEST_F(ServedMailboxTest, HostileFramesAndTrapsEndOnlyWhatTheyMust) {
  const auto served = serve(RR_GUEST_HASH_RECEIVER);
  ASSERT_TRUE(served->ready());
  const std::vector<std::byte> payload(100, std::byte{7});
  {
    testing::RawMailbox m(socket());
    ASSERT_EQ(m.setUp().status, RR_OK);
    for (int i = 0; i < 2; ++i) {
      auto good = m.exchange(
          {.source_len = 1, .target_len = 4, .reply_cap = 8, .payload_len = payload.size()},
          payload);
      ASSERT_TRUE(good.has_value()) << good.error().message();
      EXPECT_EQ(good->status, RR_OK);
      EXPECT_EQ(m.replyWord(), fnv1a(payload)) << "one mailbox carries frame after frame";
      // A handler that traps costs its instance, not the connection.
      const std::array<std::byte, 4> trap = {std::byte{'T'}, std::byte{'R'}, std::byte{'A'},
                                             std::byte{'P'}};
      auto trapped = m.exchange({.source_len = 1, .target_len = 4, .payload_len = 4}, trap);
      ASSERT_TRUE(trapped.has_value()) << trapped.error().message();
      EXPECT_EQ(trapped->status, RR_ERECEIVER_FAILED);
    }
  }
  const std::vector<proto::RequestHeader> hostile = {
      {.source_len = 1, .target_len = 300, .payload_len = 8},  // names too long
      {.source_len = 1, .target_len = 4, .payload_len = transport::Mailbox::kMaxPayload + 1},
      {.flags = proto::kFlagChecksum, .source_len = 1, .target_len = 4, .payload_len = 8},
      {.flags = proto::kFlagMemfd, .source_len = 1, .target_len = 4, .payload_len = 8},
  };
  for (const auto& h : hostile) {
    testing::RawMailbox m(socket());
    ASSERT_EQ(m.setUp().status, RR_OK);
    auto r = m.exchange(h, payload);
    ASSERT_FALSE(r.has_value()) << "answered a hostile frame";
    EXPECT_EQ(r.error().code, std::errc::connection_reset);
  }
  transport::SocketEndpoint ep(transport::Address::parse(served->address()).value(), "sink",
                               {.memfd_threshold = UINT64_MAX});
  std::uint64_t hash = 0;
  EXPECT_EQ(ep.deliver({.source = "test",
                        .payload = payload,
                        .reply = std::as_writable_bytes(std::span(&hash, 1))})
                .status,
            Status::kOk);
  EXPECT_EQ(hash, fnv1a(payload));
}

TEST_F(ServedMailboxTest, AnIdleMailboxIsClosedButNotOneWhoseHandlerRunsLong) {
  // --timeout 1: a mailbox idle for a second is dropped; a handler of 2.5 s is not idleness.
  testing::ServeProcess served(RR_CLI,
                               {RR_GUEST_SLOW_RECEIVER, "--name", "sink", "--listen",
                                "unix:" + socket(), "--timeout", "1", "--env", "SLOW_MS=2500"},
                               {}, {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  ASSERT_TRUE(served.ready());
  testing::RawMailbox m(socket());
  ASSERT_EQ(m.setUp().status, RR_OK);
  const std::vector<std::byte> payload(10);
  auto slow = m.exchange({.source_len = 1, .target_len = 4, .payload_len = payload.size()}, payload,
                         std::chrono::seconds(20));
  ASSERT_TRUE(slow.has_value()) << slow.error().message();
  EXPECT_EQ(slow->status, RR_OK);
  // Idle means a whole second with no request answered: the earliest close is a second after
  // this answer, so one dropped mid-handler shows here.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(m.closedByServer()) << "dropped while its handler ran";
  const auto idle_until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!m.closedByServer() && std::chrono::steady_clock::now() < idle_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(m.closedByServer()) << "an idle mailbox outlived the server's time-out";
}

INSTANTIATE_TEST_SUITE_P(Paths, ServedTransportTest,
                         ::testing::Values(Path::kSocket, Path::kMemfd, Path::kTcp),
                         [](const ::testing::TestParamInfo<Path>& p) {
                           switch (p.param) {
                             case Path::kSocket:
                               return std::string("UnixSocket");
                             case Path::kMemfd:
                               return std::string("UnixMemfd");
                             case Path::kTcp:
                               return std::string("Tcp");
                           }
                           return std::string("Unknown");
                         });

}  // namespace
}  // namespace rr
