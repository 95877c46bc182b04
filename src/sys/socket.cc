#include "roadrunner/sys/socket.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace rr::sys {
namespace {

Result<sockaddr_un> unixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return failErrno("socket path", ENAMETOOLONG, path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

}  // namespace

Result<UniqueFd> listenUnix(const std::string& path, int backlog) {
  auto addr = unixAddress(path);
  if (!addr) {
    return std::unexpected(addr.error());
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return failErrno("socket");
  }
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    ::unlink(path.c_str());  // a stale socket from an earlier run
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
    return failErrno("bind", errno, path);
  }
  if (::chmod(path.c_str(), 0600) != 0) {
    return failErrno("chmod", errno, path);
  }
  if (::listen(fd.get(), backlog) != 0) {
    return failErrno("listen", errno, path);
  }
  return fd;
}

Result<UniqueFd> connectUnix(const std::string& path) {
  auto addr = unixAddress(path);
  if (!addr) {
    return std::unexpected(addr.error());
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return failErrno("socket");
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
    return failErrno("connect", errno, path);
  }
  return fd;
}

Result<UniqueFd> acceptConnection(int listen_fd) {
  for (;;) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      return UniqueFd(fd);
    }
    if (errno != EINTR && errno != ECONNABORTED) {
      return failErrno("accept");
    }
  }
}

Result<ucred> peerCredentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return failErrno("getsockopt(SO_PEERCRED)");
  }
  return cred;
}

Result<> sendAll(int fd, std::span<iovec> iov, int pass_fd) {
  std::size_t first = 0;
  while (first < iov.size()) {
    msghdr msg{};
    msg.msg_iov = iov.data() + first;
    msg.msg_iovlen = std::min<std::size_t>(iov.size() - first, IOV_MAX);
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (pass_fd >= 0) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return failErrno("send");
    }
    pass_fd = -1;  // sent with the first byte
    auto left = static_cast<std::size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (first < iov.size()) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return {};
}

Result<> recvExact(int fd, std::span<std::byte> out, UniqueFd* received_fd) {
  std::size_t done = 0;
  while (done < out.size()) {
    iovec iov{.iov_base = out.data() + done, .iov_len = out.size() - done};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (received_fd != nullptr) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
    }
    const ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return failErrno("recv");
    }
    if (n == 0) {
      return failErrno("recv", ECONNRESET, "peer closed the connection");
    }
    if (received_fd != nullptr && msg.msg_controllen > 0) {
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
          int passed = -1;
          std::memcpy(&passed, CMSG_DATA(c), sizeof passed);
          received_fd->reset(passed);
        }
      }
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<> setTimeouts(int fd, int seconds) {
  const timeval tv{.tv_sec = seconds, .tv_usec = 0};
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
    return failErrno("setsockopt(timeouts)");
  }
  return {};
}

Result<> setSendBuffer(int fd, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes) != 0) {
    return failErrno("setsockopt(SO_SNDBUF)");
  }
  return {};
}

bool peerHungUp(int fd) noexcept {
  pollfd p{.fd = fd, .events = POLLIN | POLLRDHUP, .revents = 0};
  return ::poll(&p, 1, 0) != 0;  // readable while idle: EOF, reset, or garbage
}

Result<UniqueFd> makeSizeSealedMemfd(std::size_t size) {
  UniqueFd fd(::memfd_create("roadrunner-payload", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) {
    return failErrno("memfd_create");
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return failErrno("ftruncate(memfd)");
  }
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return failErrno("fcntl(F_ADD_SEALS)");
  }
  return fd;
}

Result<> checkSizeSealed(int fd, std::uint64_t min_size) {
  const int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    return failErrno("fcntl(F_GET_SEALS)", errno, "passed descriptor is not a memfd");
  }
  if ((seals & F_SEAL_SHRINK) == 0 || (seals & F_SEAL_GROW) == 0) {
    return fail(Errc::kProtocol, "memfd", "passed memfd's size is not sealed");
  }
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    return failErrno("fstat(memfd)");
  }
  if (static_cast<std::uint64_t>(st.st_size) < min_size) {
    return fail(Errc::kProtocol, "memfd", "passed memfd is smaller than the payload");
  }
  return {};
}

}  // namespace rr::sys
