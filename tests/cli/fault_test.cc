// Fault injection, 1,000 transfers each: a kernel-mode receiver killed at random points and
// restarted; a sending `roadrunner up` killed at random points and restarted; a TCP path whose
// connections are reset (RST) at random points. Every transfer must arrive intact exactly once,
// or fail with a status at the sender (and then arrive at most once), or die with its sender
// (and then arrive at most once); never half, never twice.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/subprocess.h"
#include "roadrunner/transport/socket_endpoint.h"

#include "../testing/resetting_relay.h"
#include "../testing/serve_process.h"
#include "../testing/subprocess.h"

namespace rr {
namespace {

/// What the ledger receiver recorded: how many times each sequence number arrived intact.
/// Fails the test on a damaged payload.
std::map<std::uint64_t, int> readLedger(const std::string& path) {
  std::map<std::uint64_t, int> seen;
  std::ifstream ledger(path);
  std::string word;
  while (ledger >> word) {
    EXPECT_NE(word, "BAD") << "a payload reached the handler damaged";
    if (word != "BAD") {
      ++seen[std::stoull(word)];
    }
  }
  return seen;
}

/// Sends `count` payloads of `size` bytes numbered 0.. (the pattern ledger_receiver checks),
/// and more after them while `more()` says so, and returns each one's status; an acknowledged
/// one must echo its number.
std::map<std::uint64_t, host::Status> sendNumbered(
    transport::SocketEndpoint& ep, std::uint64_t count, std::size_t size,
    const std::function<bool()>& more = [] { return false; }) {
  std::map<std::uint64_t, host::Status> status;
  std::vector<std::byte> payload(size);
  for (std::uint64_t seq = 0; seq < count || more(); ++seq) {
    std::memcpy(payload.data(), &seq, 8);
    for (std::size_t i = 8; i < payload.size(); ++i) {
      payload[i] = static_cast<std::byte>(seq * 131 + i);
    }
    std::uint64_t echoed = UINT64_MAX;
    const auto r = ep.deliver({.source = "faults",
                               .payload = payload,
                               .reply = std::as_writable_bytes(std::span(&echoed, 1))});
    status[seq] = r.status;
    if (r.status == host::Status::kOk) {
      EXPECT_EQ(echoed, seq);
    }
  }
  return status;
}

/// Checks the ledger against what the sender was told: nothing delivered twice, every
/// acknowledged transfer delivered once. Returns how many were acknowledged.
int checkLedger(const std::map<std::uint64_t, host::Status>& status, const std::string& ledger) {
  const std::map<std::uint64_t, int> seen = readLedger(ledger);
  int ok = 0;
  for (const auto& [seq, st] : status) {
    const int times = seen.contains(seq) ? seen.at(seq) : 0;
    EXPECT_LE(times, 1) << "transfer " << seq << " was delivered twice";
    if (st == host::Status::kOk) {
      ++ok;
      EXPECT_EQ(times, 1) << "transfer " << seq << " was acknowledged but not delivered";
    }
  }
  return ok;
}

/// The ledger receiver served over loopback TCP with the secret "fault-secret" (in
/// dir/secret), recording into dir/ledger.
std::unique_ptr<testing::ServeProcess> serveLedgerOverTcp(const testing::TempDir& dir) {
  testing::writeText(dir.file("secret"), "fault-secret\n");
  return std::make_unique<testing::ServeProcess>(
      RR_CLI,
      std::vector<std::string>{RR_GUEST_LEDGER_RECEIVER, "--listen", "tcp:127.0.0.1:0", "--name",
                               "ledger", "--dir", "/data:" + dir.path(), "--secret-file",
                               dir.file("secret")},
      std::vector<std::string>{},
      std::vector<std::string>{"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
}

TEST(FaultInjectionTest, ReceiverKilledAtRandomPointsNeverHalfOrTwiceDelivers) {
  const testing::TempDir dir;
  const std::string sock = dir.file("ledger.sock");
  const auto start = [&] {
    return std::make_unique<testing::ServeProcess>(
        RR_CLI,
        std::vector<std::string>{RR_GUEST_LEDGER_RECEIVER, "--listen", "unix:" + sock, "--name",
                                 "ledger", "--dir", "/data:" + dir.path()},
        std::vector<std::string>{},
        std::vector<std::string>{"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  };
  std::mutex mutex;
  auto serve = start();
  ASSERT_TRUE(serve->ready());

  std::atomic<bool> done{false};
  std::atomic<int> kills{0};
  std::thread killer([&] {
    std::mt19937 rng(12345);
    while (!done) {
      ::poll(nullptr, 0, static_cast<int>(5 + rng() % 60));  // a random point in the stream
      const std::scoped_lock lock(mutex);
      if (done) {
        break;
      }
      serve->stop(SIGKILL);
      ++kills;
      serve = start();
    }
  });

  transport::SocketEndpoint ep(transport::Address{.path = sock}, "ledger", {.timeout_seconds = 5});
  // At least 1000 transfers, and on until the receiver was killed six times: a slow machine
  // (a sanitizer build restarts the receiver slowly) is not let off with fewer kills.
  constexpr int kTransfers = 1000;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(120) * testing::timeScale();
  const auto status = sendNumbered(ep, kTransfers, std::size_t{256} * 1024, [&] {
    return kills.load() <= 5 && std::chrono::steady_clock::now() < deadline;
  });
  done = true;
  killer.join();

  const int ok = checkLedger(status, dir.file("ledger"));
  std::printf("fault injection: %zu transfers, %d delivered and acknowledged, %d receiver kills\n",
              status.size(), ok, kills.load());
  EXPECT_GT(kills.load(), 5);
  EXPECT_GT(ok, 0);
}

// The sender is a whole `roadrunner up` (a Wasm function with a network edge to a remote
// receiver), SIGKILLed at random points and started again after the last sequence number it
// began. It logs "start SEQ" before each send and "ok SEQ" once acknowledged, straight to a file,
// so a kill loses none of its record.
TEST(FaultInjectionTest, SenderKilledAtRandomPointsNeverHalfOrTwiceDelivers) {
  const testing::TempDir dir;
  const auto served = serveLedgerOverTcp(dir);
  const testing::ServeProcess& serve = *served;
  ASSERT_TRUE(serve.ready());

  constexpr std::uint64_t kTransfers = 1000;
  const auto startSender = [&](std::uint64_t first) {
    testing::writeText(dir.file("wf.json"),
                       R"({"secret_file": ")" + dir.file("secret") + R"(", "functions": {
          "sender": {"wasm": ")" RR_GUEST_SEQ_SENDER R"(", "dirs": ["/log:)" +
                           dir.path() + R"("], "args": ["ledger", ")" + std::to_string(first) +
                           R"(", ")" + std::to_string(kTransfers - first) +
                           R"(", "524288", "/log/sent"]},
          "ledger": {"wasm": ")" RR_GUEST_LEDGER_RECEIVER R"("}},
        "edges": [{"from": "sender", "to": "ledger", "mode": "network",
                   "address": ")" +
                           serve.address() + R"("}]})");
    std::vector<std::string> env = {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"};
    for (char** e = environ; *e != nullptr; ++e) {
      if (!std::string_view(*e).starts_with("RR_CACHE_DIR=")) {
        env.emplace_back(*e);
      }
    }
    const UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    return sys::Subprocess::spawn(
        {.argv = {RR_CLI, "up", dir.file("wf.json")}, .env = env, .fds = {{null.get(), 1}}});
  };
  // Sequence numbers the senders began and the ones they saw acknowledged.
  const auto readSent = [&] {
    std::map<std::uint64_t, bool> sent;
    std::ifstream log(dir.file("sent"));
    std::string what;
    std::uint64_t seq = 0;
    while (log >> what >> seq) {
      sent[seq] = sent[seq] || what == "ok";
    }
    return sent;
  };

  std::mt19937 rng(54321);
  int kills = 0;
  for (int round = 0;; ++round) {
    const auto sent = readSent();
    const std::uint64_t next = sent.empty() ? 0 : sent.rbegin()->first + 1;
    if (next >= kTransfers) {
      break;
    }
    ASSERT_LT(round, 1000) << "the senders make no progress";
    auto sender = startSender(next);
    ASSERT_TRUE(sender.has_value()) << sender.error().message();
    // Once this sender has begun its first transfer, a random point in the rest of its life:
    // mid-payload, waiting for the reply, or between transfers.
    bool exited = false;
    const auto logSize = [&] {
      struct stat st{};
      return ::stat(dir.file("sent").c_str(), &st) == 0 ? st.st_size : 0;
    };
    const auto before = logSize();
    while (!exited && logSize() == before) {
      exited = sender->waitFor(std::chrono::milliseconds(1)).has_value();
    }
    const int after_ms = static_cast<int>(rng() % 40);
    for (int waited = 0; !exited && waited < after_ms; ++waited) {
      exited = sender->waitFor(std::chrono::milliseconds(1)).has_value();
    }
    if (exited) {
      continue;
    }
    (void)sender->kill();
    ++kills;
  }

  const auto sent = readSent();
  const std::map<std::uint64_t, int> seen = readLedger(dir.file("ledger"));
  int acknowledged = 0;
  for (const auto& [seq, times] : seen) {
    EXPECT_EQ(times, 1) << "transfer " << seq << " was delivered " << times << " times";
    EXPECT_TRUE(sent.contains(seq)) << "transfer " << seq << " arrived but was never sent";
  }
  for (const auto& [seq, ok] : sent) {
    if (ok) {
      ++acknowledged;
      EXPECT_TRUE(seen.contains(seq)) << "transfer " << seq << " was acknowledged, never delivered";
    }
  }
  std::printf("sender kills: %zu transfers begun, %d acknowledged, %zu delivered, %d kills\n",
              sent.size(), acknowledged, seen.size(), kills);
  EXPECT_EQ(sent.size(), kTransfers);
  EXPECT_GT(kills, 5);
  EXPECT_GT(acknowledged, 0);
}

TEST(FaultInjectionTest, ConnectionsResetAtRandomPointsNeverHalfOrTwiceDeliver) {
  const testing::TempDir dir;
  const auto served = serveLedgerOverTcp(dir);
  const testing::ServeProcess& serve = *served;
  ASSERT_TRUE(serve.ready());
  const auto upstream = transport::Address::parse(serve.address());
  ASSERT_TRUE(upstream.has_value());
  testing::ResettingRelay relay(upstream->port);
  ASSERT_NE(relay.port(), 0);

  std::atomic<bool> done{false};
  std::thread resetter([&] {
    std::mt19937 rng(777);
    while (!done) {
      ::poll(nullptr, 0, static_cast<int>(2 + rng() % 30));
      relay.reset();
    }
  });
  transport::SocketEndpoint ep(
      transport::Address{
          .kind = transport::Address::Kind::kTcp, .host = "127.0.0.1", .port = relay.port()},
      "ledger", {.timeout_seconds = 5, .connect_timeout_ms = 2000, .secret = "fault-secret"});
  constexpr std::uint64_t kTransfers = 1000;
  const auto status = sendNumbered(ep, kTransfers, std::size_t{512} * 1024);  // spliced
  done = true;
  resetter.join();

  const int ok = checkLedger(status, dir.file("ledger"));
  std::printf("connection resets: %llu transfers, %d delivered and acknowledged, %d resets\n",
              static_cast<unsigned long long>(kTransfers), ok, relay.resets());
  EXPECT_GT(relay.resets(), 5);
  EXPECT_GT(ok, 0);
}

}  // namespace
}  // namespace rr
