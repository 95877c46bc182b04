#pragma once

// A TCP listener on 127.0.0.1 at a port the kernel picks, for tests that check whether a guest
// reached it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "roadrunner/base/unique_fd.h"

namespace rr::testing {

class TcpListener {
 public:
  TcpListener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof address;
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), len) == 0 &&
        ::listen(fd_.get(), 8) == 0 &&
        ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &len) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }

  /// 0 if the listener could not be set up.
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string portText() const { return std::to_string(port_); }
  [[nodiscard]] std::string grant() const { return "tcp:127.0.0.1:" + portText(); }

  /// Whether a connection waits to be accepted, or arrives within `wait`; accepts and closes it.
  /// A guest's connect has completed the handshake by the time the guest reports it, so the
  /// wait matters only when a test expects a connection.
  [[nodiscard]] bool connectionArrives(std::chrono::milliseconds wait) const {
    pollfd p{.fd = fd_.get(), .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) {
      return false;
    }
    const UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    return conn.valid();
  }

 private:
  UniqueFd fd_;
  std::uint16_t port_ = 0;
};

}  // namespace rr::testing
