#include "roadrunner/transport/mailbox.h"

#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <climits>

#include "roadrunner/base/spin.h"
#include "roadrunner/base/try.h"
#include "roadrunner/sys/cpu.h"
#include "roadrunner/sys/socket.h"

namespace rr::transport {
namespace {

using Clock = std::chrono::steady_clock;

// Page 0's words, one per cache line.
constexpr std::size_t kRequestSeq = 0;
constexpr std::size_t kServerSleeps = 1;
constexpr std::size_t kResponseSeq = 2;
constexpr std::size_t kSenderSleeps = 3;
constexpr std::size_t kSenderCpu = 4;
constexpr std::size_t kWordStride = 64;

// Stores `value` in `seq`, then rings the peer if it said it sleeps. With `sleeps` set before the
// peer's last look at `seq` (both sequentially consistent), either the peer sees the new value or
// this side sees its flag: no wake-up is lost.
void post(std::atomic_ref<std::uint32_t> seq, std::uint32_t value,
          std::atomic_ref<std::uint32_t> sleeps, int sock) noexcept {
  seq.store(value, std::memory_order_seq_cst);
  if (sleeps.exchange(0, std::memory_order_seq_cst) != 0) {
    const std::byte bell{1};
    // A full socket buffer means bells are already waiting: the peer wakes anyway.
    (void)::send(sock, &bell, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
  }
}

// Reads whatever bells wait on `sock`; false once the peer has closed it.
bool drainBells(int sock) noexcept {
  std::array<std::byte, 4096> bells{};
  const ssize_t n = ::recv(sock, bells.data(), bells.size(), MSG_DONTWAIT);
  return n != 0 && (n > 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
}

int pollMillis(Clock::duration left) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<std::int64_t>(ms, INT_MAX));
}

// Spins for handOffSpin(), then sleeps in poll() on `sock` (bells and hang-ups) with `sleeps`
// set, until `ready()`, the deadline, the peer's close, or `stopping`.
template <typename Ready>
Result<> await(Ready&& ready, std::atomic_ref<std::uint32_t> sleeps, int sock,
               Clock::time_point deadline, const std::atomic<bool>* stopping) {
  if (spinUntil(ready, handOffSpin())) {
    return {};
  }
  for (;;) {
    sleeps.store(1, std::memory_order_seq_cst);
    if (ready()) {
      sleeps.store(0, std::memory_order_relaxed);
      return {};
    }
    if (stopping != nullptr && stopping->load()) {
      return failErrno("mailbox", ECANCELED, "the server is stopping");
    }
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) {
      sleeps.store(0, std::memory_order_relaxed);
      return failErrno("mailbox", EAGAIN, "no frame within the time-out");
    }
    pollfd p{.fd = sock, .events = POLLIN | POLLRDHUP, .revents = 0};
    const int n = ::poll(&p, 1, pollMillis(left));
    if (n < 0 && errno != EINTR) {
      return failErrno("poll(mailbox socket)");
    }
    if (n <= 0 || ready()) {
      continue;
    }
    if ((p.revents & (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL)) != 0 || !drainBells(sock)) {
      return failErrno("mailbox", ECONNRESET, "the peer closed the connection");
    }
  }
}

}  // namespace

Result<Mailbox> Mailbox::create() {
  RR_ASSIGN_OR_RETURN(UniqueFd fd, sys::makeSizeSealedMemfd(kBytes));
  RR_ASSIGN_OR_RETURN(sys::Mapping map,
                      sys::Mapping::map(kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()));
  return Mailbox(std::move(fd), std::move(map));
}

Result<Mailbox> Mailbox::attach(int fd) {
  // Sealed against shrinking: the sender can never cut the mapping short under our reads.
  RR_RETURN_IF_ERROR(sys::checkSizeSealed(fd, kBytes));
  RR_ASSIGN_OR_RETURN(sys::Mapping map,
                      sys::Mapping::map(kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd));
  return Mailbox(UniqueFd(), std::move(map));
}

std::atomic_ref<std::uint32_t> Mailbox::word(std::size_t index) const noexcept {
  // Page-aligned mapping: every word is aligned for an atomic.
  return std::atomic_ref<std::uint32_t>(
      *reinterpret_cast<std::uint32_t*>(map_.data() + (index * kWordStride)));
}

void Mailbox::postRequest(int sock) noexcept {
  word(kSenderCpu)
      .store(static_cast<std::uint32_t>(sys::currentCpu()) + 1, std::memory_order_relaxed);
  post(word(kRequestSeq), ++seq_, word(kServerSleeps), sock);
}

Result<> Mailbox::awaitResponse(int sock, Clock::time_point deadline) {
  const auto answered = [this, seq = word(kResponseSeq)] {
    return seq.load(std::memory_order_acquire) == seq_;
  };
  return await(answered, word(kSenderSleeps), sock, deadline, nullptr);
}

Result<> Mailbox::awaitRequest(int sock, Clock::time_point deadline,
                               const std::atomic<bool>& stopping) {
  RR_RETURN_IF_ERROR(
      await([this] { return posted(); }, word(kServerSleeps), sock, deadline, &stopping));
  take();
  return {};
}

int Mailbox::senderCpu() const noexcept {
  const std::uint32_t cpu = word(kSenderCpu).load(std::memory_order_relaxed);
  return cpu == 0 || cpu > 4096 ? -1 : static_cast<int>(cpu - 1);  // any value the sender likes
}

bool Mailbox::posted() const noexcept {
  return word(kRequestSeq).load(std::memory_order_acquire) != seq_;
}

void Mailbox::take() noexcept { seq_ = word(kRequestSeq).load(std::memory_order_acquire); }

bool Mailbox::sleepUnlessPosted() noexcept {
  // As in await(): the flag first, then one more look, so a post never goes unrung.
  word(kServerSleeps).store(1, std::memory_order_seq_cst);
  return word(kRequestSeq).load(std::memory_order_seq_cst) == seq_;
}

void Mailbox::pollAgain() noexcept { word(kServerSleeps).store(0, std::memory_order_relaxed); }

bool Mailbox::peerClosed(int sock) noexcept {
  // Bells first, then what follows them: nothing (the peer is there) or the end of the stream.
  // A peer that keeps ringing past 64 reads breaks the protocol and counts as gone.
  for (int i = 0; i < 64; ++i) {
    std::array<std::byte, 256> bells{};
    const ssize_t n = ::recv(sock, bells.data(), bells.size(), MSG_DONTWAIT);
    if (n <= 0) {
      return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
    }
  }
  return true;
}

void Mailbox::postResponse(int sock) noexcept {
  post(word(kResponseSeq), seq_, word(kSenderSleeps), sock);
}

}  // namespace rr::transport
