// Mailbox: two threads over a real memfd and a real socketpair, the way a sender and a serving
// process use it; sleeping sides, vanished peers, deadlines and bell floods.

#include "roadrunner/transport/mailbox.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/sys/socket.h"

namespace rr::transport {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Pair {
  Pair() {
    int fds[2] = {-1, -1};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    sender = UniqueFd(fds[0]);
    server = UniqueFd(fds[1]);
  }
  UniqueFd sender;
  UniqueFd server;
};

struct Boxes {
  Boxes() {
    auto made = Mailbox::create();
    EXPECT_TRUE(made.has_value());
    sender.emplace(std::move(*made));
    auto attached = Mailbox::attach(sender->fd());
    EXPECT_TRUE(attached.has_value()) << attached.error().message();
    server.emplace(std::move(*attached));
    sender->closeFd();
  }
  std::optional<Mailbox> sender;
  std::optional<Mailbox> server;
};

std::uint64_t load(std::span<const std::byte> area) {
  std::uint64_t v = 0;
  std::memcpy(&v, area.data(), sizeof v);
  return v;
}
void store(std::span<std::byte> area, std::uint64_t v) { std::memcpy(area.data(), &v, sizeof v); }

TEST(MailboxTest, RequestsAndResponsesRoundTripInOrder) {
  Pair socks;
  Boxes boxes;
  const std::atomic<bool> stopping{false};
  constexpr int kRounds = 5000;
  std::thread server([&] {
    for (int i = 0; i < kRounds; ++i) {
      if (!boxes.server->awaitRequest(socks.server.get(), Clock::now() + 10s, stopping)) {
        return;
      }
      store(boxes.server->response(), load(boxes.server->request()) * 3 + 1);
      boxes.server->postResponse(socks.server.get());
    }
  });
  int right = 0;
  for (int i = 0; i < kRounds; ++i) {
    const std::uint64_t sent =
        std::uint64_t{0x9E3779B97F4A7C15} * (static_cast<std::uint64_t>(i) + 1);
    store(boxes.sender->request(), sent);
    boxes.sender->postRequest(socks.sender.get());
    ASSERT_TRUE(boxes.sender->awaitResponse(socks.sender.get(), Clock::now() + 10s));
    right += load(boxes.sender->response()) == sent * 3 + 1 ? 1 : 0;
  }
  server.join();
  EXPECT_EQ(right, kRounds) << "every answer belongs to its own request";
}

TEST(MailboxTest, ASleepingServerIsWokenByTheDoorbell) {
  Pair socks;
  Boxes boxes;
  const std::atomic<bool> stopping{false};
  Clock::duration woke_after{};
  Clock::time_point posted;
  std::thread server([&] {
    ASSERT_TRUE(boxes.server->awaitRequest(socks.server.get(), Clock::now() + 20s, stopping));
    woke_after = Clock::now() - posted;
  });
  std::this_thread::sleep_for(300ms);  // long past the spin: the server sleeps in poll()
  posted = Clock::now();
  boxes.sender->postRequest(socks.sender.get());
  server.join();
  EXPECT_LT(woke_after, 2s) << "without the bell it would sleep until its deadline";
}

TEST(MailboxTest, ASleepingSenderIsWokenByTheDoorbell) {
  Pair socks;
  Boxes boxes;
  const std::atomic<bool> stopping{false};
  std::thread server([&] {
    ASSERT_TRUE(boxes.server->awaitRequest(socks.server.get(), Clock::now() + 20s, stopping));
    std::this_thread::sleep_for(300ms);  // a slow handler: the sender goes to sleep
    boxes.server->postResponse(socks.server.get());
  });
  boxes.sender->postRequest(socks.sender.get());
  const auto start = Clock::now();
  EXPECT_TRUE(boxes.sender->awaitResponse(socks.sender.get(), start + 20s));
  EXPECT_LT(Clock::now() - start, 3s);
  server.join();
}

// A server polled by its receiver's thread (host::Poller): no thread waits on its socket until
// the receiver says it sleeps, and only then does a post ring.
bool readable(int fd) {
  std::array<std::byte, 16> bells{};
  return ::recv(fd, bells.data(), bells.size(), MSG_DONTWAIT) > 0;
}

TEST(MailboxTest, APolledServerIsRungOnlyAfterItSaidItSleeps) {
  Pair socks;
  Boxes boxes;
  EXPECT_FALSE(boxes.server->posted());
  boxes.sender->postRequest(socks.sender.get());
  EXPECT_FALSE(readable(socks.server.get())) << "rang a server that polls";
  EXPECT_TRUE(boxes.server->posted());
  const int cpu = boxes.server->senderCpu();  // where this thread ran as it posted
  EXPECT_TRUE(cpu >= 0 && cpu < static_cast<int>(std::thread::hardware_concurrency())) << cpu;
  EXPECT_FALSE(boxes.server->sleepUnlessPosted()) << "a request waits: poll, do not sleep";
  boxes.server->take();
  EXPECT_FALSE(boxes.server->posted()) << "taken";
  boxes.server->postResponse(socks.server.get());
  ASSERT_TRUE(boxes.sender->awaitResponse(socks.sender.get(), Clock::now() + 10s));

  ASSERT_TRUE(boxes.server->sleepUnlessPosted());
  boxes.sender->postRequest(socks.sender.get());
  EXPECT_TRUE(readable(socks.server.get())) << "a sleeping server must be rung";
  boxes.server->take();
  boxes.server->postResponse(socks.server.get());
  ASSERT_TRUE(boxes.sender->awaitResponse(socks.sender.get(), Clock::now() + 10s));

  boxes.server->pollAgain();
  boxes.sender->postRequest(socks.sender.get());
  EXPECT_FALSE(readable(socks.server.get())) << "rang a server polling again";
  EXPECT_TRUE(boxes.server->posted());
}

// A sender that went to sleep and was rung may find the response before it reads the bell: the
// bell stays on the socket, and must not look like a peer that left.
TEST(MailboxTest, ABellLeftOnTheSocketIsNotAClosedPeer) {
  Pair socks;
  Boxes boxes;
  const std::atomic<bool> stopping{false};
  std::thread server([&] {
    ASSERT_TRUE(boxes.server->awaitRequest(socks.server.get(), Clock::now() + 20s, stopping));
    std::this_thread::sleep_for(100ms);  // the sender sleeps
    boxes.server->postResponse(socks.server.get());
    const std::byte extra{1};
    ASSERT_EQ(::send(socks.server.get(), &extra, 1, MSG_NOSIGNAL), 1);  // a late bell
  });
  boxes.sender->postRequest(socks.sender.get());
  ASSERT_TRUE(boxes.sender->awaitResponse(socks.sender.get(), Clock::now() + 20s));
  server.join();
  EXPECT_FALSE(Mailbox::peerClosed(socks.sender.get())) << "bells are read, the peer is there";
  EXPECT_FALSE(Mailbox::peerClosed(socks.sender.get()));
  const std::byte bell{1};
  ASSERT_EQ(::send(socks.server.get(), &bell, 1, MSG_NOSIGNAL), 1);
  socks.server.reset();  // a bell, then the end: the end counts
  EXPECT_TRUE(Mailbox::peerClosed(socks.sender.get()));
}

TEST(MailboxTest, AServerThatClosesWakesItsSenderAtOnce) {
  Pair socks;
  Boxes boxes;
  std::thread closer([&] {
    std::this_thread::sleep_for(200ms);
    socks.server.reset();  // the serving process died
  });
  boxes.sender->postRequest(socks.sender.get());
  const auto start = Clock::now();
  const auto r = boxes.sender->awaitResponse(socks.sender.get(), start + 20s);
  closer.join();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, std::errc::connection_reset);
  EXPECT_LT(Clock::now() - start, 3s);
}

TEST(MailboxTest, NoAnswerByTheDeadlineIsATimeOut) {
  Pair socks;
  Boxes boxes;
  boxes.sender->postRequest(socks.sender.get());
  const auto start = Clock::now();
  const auto r = boxes.sender->awaitResponse(socks.sender.get(), start + 300ms);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, std::errc::resource_unavailable_try_again);
  EXPECT_GE(Clock::now() - start, 300ms);
}

TEST(MailboxTest, AFloodOfBellsNeitherAnswersNorOutlivesTheDeadline) {
  Pair socks;
  Boxes boxes;
  std::atomic<bool> flooding{true};
  std::thread flood([&] {
    const std::vector<std::byte> bells(4096, std::byte{1});
    while (flooding.load()) {
      (void)::send(socks.server.get(), bells.data(), bells.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
  });
  boxes.sender->postRequest(socks.sender.get());
  const auto start = Clock::now();
  const auto r = boxes.sender->awaitResponse(socks.sender.get(), start + 500ms);
  flooding = false;
  flood.join();
  ASSERT_FALSE(r.has_value()) << "bells are not answers";
  EXPECT_EQ(r.error().code, std::errc::resource_unavailable_try_again);
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST(MailboxTest, AStoppingServerLeavesItsWaitWhenItsSocketIsShutDown) {
  Pair socks;
  Boxes boxes;
  std::atomic<bool> stopping{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stopping = true;
    ::shutdown(socks.server.get(), SHUT_RDWR);  // what SocketServer::stop does
  });
  const auto start = Clock::now();
  const auto r = boxes.server->awaitRequest(socks.server.get(), start + 20s, stopping);
  stopper.join();
  EXPECT_FALSE(r.has_value());
  EXPECT_LT(Clock::now() - start, 3s);
}

TEST(MailboxTest, AttachRefusesAMemfdThatCouldShrinkOrIsTooSmall) {
  const int raw = ::memfd_create("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  ASSERT_GE(raw, 0);
  const UniqueFd unsealed(raw);
  ASSERT_EQ(::ftruncate(unsealed.get(), Mailbox::kBytes), 0);
  EXPECT_FALSE(Mailbox::attach(unsealed.get()).has_value()) << "the sender could truncate it";
  auto small = sys::makeSizeSealedMemfd(Mailbox::kBytes - 4096);
  ASSERT_TRUE(small.has_value());
  EXPECT_FALSE(Mailbox::attach(small->get()).has_value());
  auto right = sys::makeSizeSealedMemfd(Mailbox::kBytes);
  ASSERT_TRUE(right.has_value());
  EXPECT_TRUE(Mailbox::attach(right->get()).has_value());
}

}  // namespace
}  // namespace rr::transport
