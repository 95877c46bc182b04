#pragma once

// A TCP relay for fault tests: carries connections to an upstream port and resets them on demand.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/tcp.h"

namespace rr::testing {

/// A TCP relay between a sender and a receiver that resets (RST, SO_LINGER 0) every connection
/// it carries whenever reset() is called, whatever the connection is doing.
class ResettingRelay {
 public:
  explicit ResettingRelay(std::uint16_t upstream_port) : upstream_port_(upstream_port) {
    auto listener = sys::listenTcp("127.0.0.1", 0);
    if (listener) {
      port_ = sys::localPort(listener->get()).value_or(0);
      listener_ = std::move(*listener);
      acceptor_ = std::thread([this] { acceptLoop(); });
    }
  }
  ResettingRelay(const ResettingRelay&) = delete;
  ResettingRelay& operator=(const ResettingRelay&) = delete;
  ~ResettingRelay() {
    stopping_ = true;
    if (acceptor_.joinable()) {
      acceptor_.join();
    }
    for (auto& t : pumps_) {
      t.join();
    }
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  void reset() { ++generation_; }
  [[nodiscard]] int resets() const { return resets_; }

 private:
  void acceptLoop() {
    while (!stopping_) {
      pollfd p{.fd = listener_.get(), .events = POLLIN};
      if (::poll(&p, 1, 10) != 1) {
        continue;
      }
      UniqueFd down(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      auto up = sys::connectTcp("127.0.0.1", upstream_port_, 1000);
      if (down.valid() && up) {
        pumps_.emplace_back([this, d = std::move(down), u = std::move(*up)]() mutable {
          pump(std::move(d), std::move(u));
        });
      }
    }
  }
  void pump(UniqueFd down, UniqueFd up) {
    const int born = generation_;
    std::array<char, std::size_t{64} * 1024> buf{};
    pollfd fds[2] = {{.fd = down.get(), .events = POLLIN}, {.fd = up.get(), .events = POLLIN}};
    while (!stopping_) {
      if (generation_ != born) {
        const linger abort{.l_onoff = 1, .l_linger = 0};
        for (const pollfd& f : fds) {
          ::setsockopt(f.fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
        }
        ++resets_;
        return;  // closing with SO_LINGER 0 sends RST both ways
      }
      if (::poll(fds, 2, 5) <= 0) {
        continue;
      }
      for (int i = 0; i < 2; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
          continue;
        }
        const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
        if (n <= 0) {
          return;  // one side closed: close both
        }
        for (ssize_t off = 0; off < n;) {
          const ssize_t w = ::write(fds[1 - i].fd, buf.data() + off, static_cast<size_t>(n - off));
          if (w <= 0) {
            return;
          }
          off += w;
        }
      }
    }
  }

  std::uint16_t upstream_port_;
  std::uint16_t port_ = 0;
  UniqueFd listener_;
  std::thread acceptor_;
  std::vector<std::thread> pumps_;  // touched by the acceptor thread only, joined after it
  std::atomic<bool> stopping_{false};
  std::atomic<int> generation_{0};
  std::atomic<int> resets_{0};
};

}  // namespace rr::testing
