#pragma once

// Plain HTTP from tests: a free loopback port for a server to take, and a GET of its page.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <cstdint>
#include <string>

#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/tcp.h"

namespace rr::testing {

/// A port on 127.0.0.1 nothing listens on right now (the kernel's pick, released again).
inline std::uint16_t freePort() {
  const UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof address;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), len) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &len) != 0) {
    return 0;
  }
  return ntohs(address.sin_port);
}

/// The body of GET `target` from 127.0.0.1:`port` (HTTP/1.0: the server closes after it), or
/// nothing when the connection or the request fails, or no answer came within 2 s.
inline std::string httpGet(std::uint16_t port, const std::string& target) {
  auto fd = sys::connectTcp("127.0.0.1", port, 1000);
  if (!fd) {
    return {};
  }
  const timeval limit{.tv_sec = 2, .tv_usec = 0};
  (void)::setsockopt(fd->get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  const std::string request = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(fd->get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    return {};
  }
  std::string answer;
  std::array<char, 4096> chunk{};
  for (ssize_t n = 0; (n = ::recv(fd->get(), chunk.data(), chunk.size(), 0)) > 0;) {
    answer.append(chunk.data(), static_cast<std::size_t>(n));
  }
  const auto body = answer.find("\r\n\r\n");
  return answer.starts_with("HTTP/1.") && answer.find(" 200 ") < answer.find("\r\n") &&
                 body != std::string::npos
             ? answer.substr(body + 4)
             : std::string();
}

}  // namespace rr::testing
