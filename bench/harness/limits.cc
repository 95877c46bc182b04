#include "limits.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "roadrunner/base/try.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/mapping.h"
#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/sys/tcp.h"
#include "roadrunner/transport/socket_endpoint.h"

#include "../guests/bench_payload.h"

namespace rr::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t nowNs() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

// What a reader reports for one round: its clock when the bytes had landed, had been read, and
// had been written in place; and the hash, so no step can be optimised away.
struct Marks {
  std::uint64_t landed = 0, consumed = 0, in_place = 0, hash = 0;
};

// The benchmark receiver's work on `n` landed bytes at `p`, timed.
Marks consume(std::uint8_t* p, std::uint64_t n) {
  Marks m{.landed = nowNs()};
  m.hash = bench_hash(p, static_cast<std::uint32_t>(n));
  m.consumed = nowNs();
  bench_write_in_place(p, static_cast<std::uint32_t>(n));
  asm volatile("" ::"r"(p) : "memory");
  m.in_place = nowNs();
  return m;
}

void add(LimitSamples& out, std::uint64_t t0, const Marks& m) {
  const auto since = [&](std::uint64_t t) { return static_cast<double>(t - t0) * 1e-9; };
  out.landed.push_back(since(m.landed));
  out.consumed.push_back(since(m.consumed));
  out.in_place.push_back(since(m.in_place));
}

// The reading side of a stream limit, in a child process: reads `size` bytes into a warm buffer,
// consumes them and answers with its Marks, runs + 1 times; then exits.
[[noreturn]] void readAndAnswer(int fd, std::uint64_t size, int runs) {
  std::vector<std::uint8_t> buf(size == 0 ? 1 : size, 'r');
  for (int i = 0; i <= runs; ++i) {
    for (std::size_t got = 0; got < size;) {
      const ssize_t n = ::read(fd, buf.data() + got, size - got);
      if (n <= 0) {
        ::_exit(1);
      }
      got += static_cast<std::size_t>(n);
    }
    const Marks m = consume(buf.data(), size);
    if (::write(fd, &m, sizeof m) != sizeof m) {
      ::_exit(1);
    }
  }
  ::_exit(0);
}

// The writing side: writes `size` bytes and waits for the reader's Marks, runs + 1 times.
LimitSamples writeAndTime(int fd, std::uint64_t size, int runs) {
  std::vector<char> src(size == 0 ? 1 : size, 'a');
  LimitSamples out;
  for (int i = 0; i <= runs; ++i) {
    const std::uint64_t t0 = nowNs();
    for (std::size_t sent = 0; sent < size;) {
      const ssize_t n = ::write(fd, src.data() + sent, size - sent);
      if (n <= 0) {
        return out;
      }
      sent += static_cast<std::size_t>(n);
    }
    Marks m;
    if (::read(fd, &m, sizeof m) != sizeof m) {
      return out;
    }
    if (i > 0) {
      add(out, t0, m);
    }
  }
  return out;
}

}  // namespace

LimitSamples memcpyLimit(std::uint64_t size, int runs) {
  std::vector<std::uint8_t> src(size, 'a');
  std::vector<std::uint8_t> dst(size, 'b');
  LimitSamples out;
  for (int i = 0; i <= runs; ++i) {
    const std::uint64_t t0 = nowNs();
    std::memcpy(dst.data(), src.data(), size);
    const Marks m = consume(dst.data(), size);
    if (i > 0) {
      add(out, t0, m);
    }
  }
  return out;
}

std::vector<double> memcpyFresh(std::uint64_t size, int runs) {
  std::vector<char> src(size, 'a');
  std::vector<double> out;
  for (int i = 0; i < runs; ++i) {
    auto dst = sys::Mapping::map(size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (!dst) {
      break;
    }
    const auto t0 = Clock::now();
    std::memcpy(dst->data(), src.data(), size);
    out.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return out;
}

LimitSamples unixLimit(std::uint64_t size, int runs) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return {};
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(sv[0]);
    readAndAnswer(sv[1], size, runs);
  }
  ::close(sv[1]);
  LimitSamples out = pid > 0 ? writeAndTime(sv[0], size, runs) : LimitSamples{};
  ::close(sv[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

LimitSamples tcpLimit(std::uint64_t size, int runs, const std::string& host,
                      const std::string& netns) {
  auto ready = sys::makePipe();
  if (!ready) {
    return {};
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ready->read_end.reset();
    // The reader runs where the receivers do: in the test host's namespace, if there is one.
    if (!netns.empty()) {
      const UniqueFd ns(::open(("/var/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns.valid() || ::setns(ns.get(), CLONE_NEWNET) != 0) {
        ::_exit(1);
      }
    }
    auto listener = sys::listenTcp(host, 0);
    auto port = listener ? sys::localPort(listener->get()) : Result<std::uint16_t>{};
    if (!listener || !port) {
      ::_exit(1);
    }
    const std::uint16_t p = *port;
    if (::write(ready->write_end.get(), &p, sizeof p) != sizeof p) {
      ::_exit(1);
    }
    auto conn = sys::acceptConnection(listener->get());
    if (!conn) {
      ::_exit(1);
    }
    (void)sys::setNoDelay(conn->get());
    readAndAnswer(conn->get(), size, runs);
  }
  ready->write_end.reset();
  std::uint16_t port = 0;
  const bool got_port = ::read(ready->read_end.get(), &port, sizeof port) == sizeof port;
  ready->read_end.reset();
  LimitSamples out;
  auto client = got_port ? sys::connectTcp(host, port, 5000) : Result<UniqueFd>{};
  if (got_port && client) {
    (void)sys::setNoDelay(client->get());
    out = writeAndTime(client->get(), size, runs);
  }
  client = Result<UniqueFd>{};
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

LimitSamples memfdLimit(std::uint64_t size, int runs) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return {};
  }
  const std::uint64_t mapped = size == 0 ? 4096 : size;
  auto memfd = sys::makeSizeSealedMemfd(mapped);
  if (!memfd) {
    return {};
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(sv[0]);
    for (int i = 0; i <= runs; ++i) {
      std::array<std::byte, 1> b{};
      UniqueFd fd;
      if (!sys::recvExact(sv[1], b, &fd) || !fd.valid()) {
        ::_exit(1);
      }
      // Private and writable, as a receiver's buffer: writes fault in copies of the pages.
      auto map = sys::Mapping::map(mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get());
      if (!map) {
        ::_exit(1);
      }
      const Marks m = consume(reinterpret_cast<std::uint8_t*>(map->data()), size);
      if (::write(sv[1], &m, sizeof m) != sizeof m) {
        ::_exit(1);
      }
    }
    ::_exit(0);
  }
  ::close(sv[1]);
  // The writer's one copy, as kernel-memfd makes it: the payload into the memfd's (warm) pages.
  std::vector<char> src(mapped, 'a');
  auto pages = sys::Mapping::map(mapped, PROT_READ | PROT_WRITE, MAP_SHARED, memfd->get());
  LimitSamples out;
  for (int i = 0; pid > 0 && pages && i <= runs; ++i) {
    const std::uint64_t t0 = nowNs();
    std::memcpy(pages->data(), src.data(), size);
    std::byte one{1};
    std::array<iovec, 1> iov = {iovec{&one, 1}};
    if (!sys::sendAll(sv[0], iov, memfd->get())) {
      break;
    }
    Marks m;
    if (::read(sv[0], &m, sizeof m) != sizeof m) {
      break;
    }
    if (i > 0) {
      add(out, t0, m);
    }
  }
  ::close(sv[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

namespace {

// Writes `total` bytes to `fd` in `chunk`-byte writes, each chunk stamped with its index.
bool writeStream(int fd, std::uint64_t total, std::uint32_t chunk) {
  std::vector<std::uint8_t> buf(chunk, 'a');
  for (std::uint64_t sent = 0, index = 0; sent < total; sent += chunk, ++index) {
    std::memcpy(buf.data(), &index, sizeof index);
    const std::size_t n = std::min<std::uint64_t>(chunk, total - sent);
    for (std::size_t off = 0; off < n;) {
      const ssize_t w = ::write(fd, buf.data() + off, n - off);
      if (w <= 0) {
        return false;
      }
      off += static_cast<std::size_t>(w);
    }
  }
  return true;
}

// The reading side in a child process: `total` bytes into a warm chunk buffer, then one byte
// back. Never returns.
[[noreturn]] void readStream(int fd, std::uint64_t total, std::uint32_t chunk) {
  std::vector<std::uint8_t> buf(chunk, 'r');
  for (std::uint64_t got = 0; got < total;) {
    const ssize_t n = ::read(fd, buf.data(), std::min<std::uint64_t>(chunk, total - got));
    if (n <= 0) {
      ::_exit(1);
    }
    got += static_cast<std::uint64_t>(n);
  }
  const char done = 1;
  ::_exit(::write(fd, &done, 1) == 1 ? 0 : 1);
}

// The in-process limit: a writer thread stamps each chunk in one of two buffers and hands it to
// a reader thread, which copies it into its own warm buffer (the one copy an embedded stream
// makes, across two threads as there); each side spins for the other.
// With `shared_copy`, the writer copies the back half of each chunk it published into the
// reader's buffer (from a cache line boundary) while the reader copies the front.
double handoffSeconds(std::uint64_t total, std::uint32_t chunk, bool shared_copy = false) {
  std::array<std::vector<std::uint8_t>, 2> slots{std::vector<std::uint8_t>(chunk, 'a'),
                                                 std::vector<std::uint8_t>(chunk, 'a')};
  std::vector<std::uint8_t> dst(chunk, 'b');
  const std::uint64_t chunks = (total + chunk - 1) / chunk;
  const std::size_t front = shared_copy ? (chunk / 2) & ~std::size_t{63} : chunk;
  // On cache lines of their own, as a stream's sequence words are: sharing one would make each
  // side's spin slow the other's stores.
  alignas(64) std::atomic<std::uint64_t> published{0};
  alignas(64) std::atomic<std::uint64_t> copied{0};
  alignas(64) std::atomic<std::uint64_t> back_copied{0};
  const auto t0 = Clock::now();
  std::thread reader([&] {
    for (std::uint64_t k = 0; k < chunks; ++k) {
      while (published.load(std::memory_order_acquire) <= k) {
      }
      std::memcpy(dst.data(), slots[k % 2].data(), front);
      while (front < chunk && back_copied.load(std::memory_order_acquire) <= k) {
      }
      asm volatile("" ::"r"(dst.data()) : "memory");
      copied.store(k + 1, std::memory_order_release);
    }
  });
  for (std::uint64_t k = 0; k < chunks; ++k) {
    while (k - copied.load(std::memory_order_acquire) >= 2) {  // both slots still being read
    }
    std::memcpy(slots[k % 2].data(), &k, sizeof k);
    published.store(k + 1, std::memory_order_release);
    if (front < chunk) {
      std::memcpy(dst.data() + front, slots[k % 2].data() + front, chunk - front);
      back_copied.store(k + 1, std::memory_order_release);
    }
  }
  reader.join();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Spins until `ready` or a minute has passed (a peer process that died): false then.
template <typename Ready>
bool spinFor(Ready&& ready) {
  const auto deadline = Clock::now() + std::chrono::minutes(1);
  for (std::uint32_t i = 1; !ready(); ++i) {
    if (i % 4096 == 0 && Clock::now() > deadline) {
      return false;
    }
  }
  return true;
}

// The ring's words, each on a cache line of its own, then kRingSlots chunk slots.
struct RingWords {
  alignas(64) std::atomic<std::uint64_t> published{0};
  alignas(64) std::atomic<std::uint64_t> copied{0};
};

}  // namespace

double sharedCopyStreamLimitSeconds(std::uint64_t total, std::uint32_t chunk) {
  return handoffSeconds(total, chunk, /*shared_copy=*/true);
}

Result<double> ringStreamLimitSeconds(std::uint64_t total, std::uint32_t chunk) {
  constexpr std::uint64_t kSlots = transport::SocketEndpoint::kRingSlots;
  const std::size_t size = 4096 + kSlots * std::size_t{chunk};
  RR_ASSIGN_OR_RETURN(sys::Mapping shared,
                      sys::Mapping::map(size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS));
  auto* words = new (shared.data()) RingWords;
  std::byte* slots = shared.data() + 4096;
  const std::uint64_t chunks = (total + chunk - 1) / chunk;
  const pid_t child = ::fork();
  if (child < 0) {
    return failErrno("fork");
  }
  if (child == 0) {
    std::vector<std::byte> dst(chunk, std::byte{'r'});  // the receiving guest's kept buffer
    for (std::uint64_t k = 0; k < chunks; ++k) {
      if (!spinFor([&] { return words->published.load(std::memory_order_acquire) > k; })) {
        ::_exit(1);
      }
      std::memcpy(dst.data(), slots + (k % kSlots) * chunk, chunk);
      asm volatile("" ::"r"(dst.data()) : "memory");
      words->copied.store(k + 1, std::memory_order_release);
    }
    ::_exit(0);
  }
  std::vector<std::byte> src(chunk, std::byte{'a'});  // the sending guest's chunk buffer
  const auto t0 = Clock::now();
  bool ok = true;
  for (std::uint64_t k = 0; ok && k < chunks; ++k) {
    ok = spinFor([&] { return k - words->copied.load(std::memory_order_acquire) < kSlots; });
    std::memcpy(src.data(), &k, sizeof k);
    std::memcpy(slots + (k % kSlots) * chunk, src.data(), chunk);
    words->published.store(k + 1, std::memory_order_release);
  }
  ok = ok && spinFor([&] { return words->copied.load(std::memory_order_acquire) == chunks; });
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!ok) {
    ::kill(child, SIGKILL);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fail(Errc::kInvalidArgument, "bench", "ring stream limit: the reader failed");
  }
  return seconds;
}

Result<double> streamLimitSeconds(const std::string& mode, std::uint64_t total, std::uint32_t chunk,
                                  const std::string& host) {
  if (mode == "embedded") {
    return handoffSeconds(total, chunk);
  }
  UniqueFd writer;
  UniqueFd reader;
  if (mode == "kernel") {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      return failErrno("socketpair");
    }
    writer.reset(fds[0]);
    reader.reset(fds[1]);
  } else {
    RR_ASSIGN_OR_RETURN(UniqueFd listener, sys::listenTcp(host, 0));
    RR_ASSIGN_OR_RETURN(const std::uint16_t port, sys::localPort(listener.get()));
    RR_ASSIGN_OR_RETURN(writer, sys::connectTcp(host, port, 2000));
    reader.reset(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!reader.valid()) {
      return failErrno("accept");
    }
  }
  // The socket options a stream connection has (SocketEndpoint::kStreamSendBuffer).
  (void)sys::setSendBuffer(writer.get(), transport::SocketEndpoint::kStreamSendBuffer);
  const pid_t child = ::fork();
  if (child < 0) {
    return failErrno("fork");
  }
  if (child == 0) {
    writer.reset();
    readStream(reader.get(), total, chunk);
  }
  reader.reset();
  const auto t0 = Clock::now();
  const bool wrote = writeStream(writer.get(), total, chunk);
  char done = 0;
  const bool acked = wrote && ::read(writer.get(), &done, 1) == 1;
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!acked || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fail(Errc::kInvalidArgument, "bench", mode + " stream limit: the reader failed");
  }
  return seconds;
}

}  // namespace rr::bench
