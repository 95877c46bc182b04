#include "roadrunner/sys/tcp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "roadrunner/base/try.h"
#include "roadrunner/sys/pipe.h"

namespace rr::sys {
namespace {

Result<sockaddr_in> ipv4(const std::string& host, std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return fail(Errc::kInvalidArgument, "address", "'" + host + "' is not an IPv4 address");
  }
  return addr;
}

}  // namespace

Result<UniqueFd> listenTcp(const std::string& host, std::uint16_t port, int backlog) {
  auto addr = ipv4(host, port);
  if (!addr) {
    return std::unexpected(addr.error());
  }
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return failErrno("socket");
  }
  const int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    return failErrno("setsockopt(SO_REUSEADDR)");
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
    return failErrno("bind", errno, host + ":" + std::to_string(port));
  }
  if (::listen(fd.get(), backlog) != 0) {
    return failErrno("listen");
  }
  return fd;
}

Result<std::uint16_t> localPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return failErrno("getsockname");
  }
  return ntohs(addr.sin_port);
}

Result<> setNoDelay(int fd) {
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    return failErrno("setsockopt(TCP_NODELAY)");
  }
  return {};
}

Result<UniqueFd> connectTcp(const std::string& host, std::uint16_t port, int timeout_ms) {
  auto addr = ipv4(host, port);
  if (!addr) {
    return std::unexpected(addr.error());
  }
  const std::string where = host + ":" + std::to_string(port);
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    return failErrno("socket");
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
    if (errno != EINPROGRESS) {
      return failErrno("connect", errno, where);
    }
    pollfd p{.fd = fd.get(), .events = POLLOUT, .revents = 0};
    const int ready = ::poll(&p, 1, timeout_ms);
    if (ready == 0) {
      return failErrno("connect", ETIMEDOUT, where);
    }
    if (ready < 0) {
      return failErrno("connect", errno, where);
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
      return failErrno("getsockopt(SO_ERROR)", errno, where);
    }
    if (err != 0) {
      return failErrno("connect", err, where);
    }
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return failErrno("fcntl(clear O_NONBLOCK)", errno, where);
  }
  if (auto r = setNoDelay(fd.get()); !r) {
    return std::unexpected(r.error());
  }
  return fd;
}

Result<SplicePipe> makeSplicePipe() {
  RR_ASSIGN_OR_RETURN(Pipe pipe, makePipe());
  SplicePipe p{.read_end = std::move(pipe.read_end), .write_end = std::move(pipe.write_end)};
  // 1 MiB is /proc/sys/fs/pipe-max-size's default; fall back to what we get.
  int got = ::fcntl(p.write_end.get(), F_SETPIPE_SZ, 1 << 20);
  if (got <= 0) {
    got = ::fcntl(p.write_end.get(), F_GETPIPE_SZ);
  }
  if (got <= 0) {  // -1 would become a capacity of SIZE_MAX, and 0 would never move a byte
    return failErrno("fcntl(F_GETPIPE_SZ)", got < 0 ? errno : EINVAL);
  }
  p.capacity = static_cast<std::size_t>(got);
  return p;
}

namespace {

// splice(2) into a socket whose peer is gone raises SIGPIPE, and splice has no MSG_NOSIGNAL:
// block it on this thread for the call, and swallow one that became pending, so a dead peer is
// an EPIPE error, never the death of the process.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    const timespec zero{};
    while (sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  SigpipeBlock(SigpipeBlock&&) = delete;
  SigpipeBlock& operator=(SigpipeBlock&&) = delete;

 private:
  sigset_t old_{};
};

}  // namespace

Result<> vmspliceSend(int fd, std::span<const std::byte> bytes, SplicePipe& pipe) {
  const SigpipeBlock no_sigpipe;
  while (!bytes.empty()) {
    const std::size_t chunk = std::min(bytes.size(), pipe.capacity);
    iovec iov{.iov_base = const_cast<std::byte*>(bytes.data()), .iov_len = chunk};
    ssize_t lent = ::vmsplice(pipe.write_end.get(), &iov, 1, 0);
    if (lent < 0) {
      if (errno == EINTR) {
        continue;
      }
      return failErrno("vmsplice");
    }
    for (auto left = static_cast<std::size_t>(lent); left > 0;) {
      const ssize_t moved =
          ::splice(pipe.read_end.get(), nullptr, fd, nullptr, left, SPLICE_F_MOVE);
      if (moved < 0) {
        if (errno == EINTR) {
          continue;
        }
        return failErrno("splice");
      }
      left -= static_cast<std::size_t>(moved);
    }
    bytes = bytes.subspan(static_cast<std::size_t>(lent));
  }
  return {};
}

}  // namespace rr::sys
