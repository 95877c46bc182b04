#pragma once

// Thin wrappers over TCP/IPv4 sockets and vmsplice/splice: no policy. @see man 7 tcp, man 2 splice

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"

namespace rr::sys {

/// A listening socket on HOST:PORT (port 0: any); SO_REUSEADDR.
[[nodiscard]] Result<UniqueFd> listenTcp(const std::string& host, std::uint16_t port,
                                         int backlog = 64);
/// The port a socket is bound to.
[[nodiscard]] Result<std::uint16_t> localPort(int fd);
/// Connects within `timeout_ms` (a non-blocking connect and poll); the socket returned is
/// blocking, TCP_NODELAY, close-on-exec.
[[nodiscard]] Result<UniqueFd> connectTcp(const std::string& host, std::uint16_t port,
                                          int timeout_ms);
[[nodiscard]] Result<> setNoDelay(int fd);

/// A pipe for splicing, as large as the system allows (up to 1 MiB without CAP_SYS_RESOURCE).
struct SplicePipe {
  UniqueFd read_end;
  UniqueFd write_end;
  std::size_t capacity = 0;
};
[[nodiscard]] Result<SplicePipe> makeSplicePipe();

/// Sends `bytes` to socket `fd` without copying them in user space: vmsplice lends the pages to
/// the pipe, splice moves them to the socket. The caller must leave `bytes` untouched until the
/// peer acknowledged them (the kernel may still read the pages). No SPLICE_F_MORE on the last
/// chunk (it would cork TCP).
[[nodiscard]] Result<> vmspliceSend(int fd, std::span<const std::byte> bytes, SplicePipe& pipe);

}  // namespace rr::sys
