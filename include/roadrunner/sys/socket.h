#pragma once

// Thin wrappers over UNIX-domain sockets and memfds: no policy. @see man 7 unix, man 2 memfd_create

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"

namespace rr::sys {

/// A listening SOCK_STREAM socket at `path` (unlinked first if it is a stale socket), mode 0600.
[[nodiscard]] Result<UniqueFd> listenUnix(const std::string& path, int backlog = 64);
/// A connected socket, blocking, close-on-exec.
[[nodiscard]] Result<UniqueFd> connectUnix(const std::string& path);
[[nodiscard]] Result<UniqueFd> acceptConnection(int listen_fd);

/// The connecting process's credentials. @see SO_PEERCRED
[[nodiscard]] Result<ucred> peerCredentials(int fd);

/// Sends every byte of `iov` (and `pass_fd` with the first byte, if >= 0). MSG_NOSIGNAL.
[[nodiscard]] Result<> sendAll(int fd, std::span<iovec> iov, int pass_fd = -1);
/// Receives exactly `out.size()` bytes; a descriptor passed along is stored in `*received_fd`.
/// End of stream before that is ECONNRESET.
[[nodiscard]] Result<> recvExact(int fd, std::span<std::byte> out, UniqueFd* received_fd = nullptr);

/// Sets SO_RCVTIMEO and SO_SNDTIMEO (a stalled peer then fails a call with EAGAIN).
[[nodiscard]] Result<> setTimeouts(int fd, int seconds);
/// Asks for a send buffer of `bytes` (SO_SNDBUF; the kernel caps it at net.core.wmem_max). On a
/// UNIX stream socket this bounds the bytes in flight to the peer too.
[[nodiscard]] Result<> setSendBuffer(int fd, int bytes);

/// True if the peer closed the connection or sent something unexpected (non-blocking check).
[[nodiscard]] bool peerHungUp(int fd) noexcept;

/// A memfd of `size` bytes whose size is sealed (F_SEAL_SHRINK | F_SEAL_GROW): a receiver that
/// maps it can never be cut short by a truncate. Writable, so a pool can reuse it.
[[nodiscard]] Result<UniqueFd> makeSizeSealedMemfd(std::size_t size);
/// Checks that `fd` is a memfd with shrink/grow seals and at least `min_size` bytes.
[[nodiscard]] Result<> checkSizeSealed(int fd, std::uint64_t min_size);

}  // namespace rr::sys
