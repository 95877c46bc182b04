#pragma once

// A UNIX-socket peer that breaks the wire protocol: it answers the first bytes of every connection
// with a response header of 0xFF bytes. It serves until it is destroyed, however long the sender
// takes to reach it (a Go module compiles for a minute or more on a loaded machine), so a test
// sees the sender's reaction to garbage and never a time-out of its own making.

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <atomic>
#include <string>
#include <thread>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/socket.h"

namespace rr::testing {

class GarbagePeer {
 public:
  /// Listens on `path`; `ok()` says whether that worked.
  explicit GarbagePeer(const std::string& path)
      : listener_(sys::listenUnix(path)), thread_([this] { serve(); }) {}
  ~GarbagePeer() {
    stop_ = true;  // the serving loop looks at least every 50 ms; jthread joins
  }
  GarbagePeer(const GarbagePeer&) = delete;
  GarbagePeer& operator=(const GarbagePeer&) = delete;
  GarbagePeer(GarbagePeer&&) = delete;
  GarbagePeer& operator=(GarbagePeer&&) = delete;

  [[nodiscard]] bool ok() const { return listener_.has_value(); }

 private:
  void serve() {
    while (listener_ && !stop_) {
      pollfd p{.fd = listener_->get(), .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 50) != 1) {
        continue;
      }
      auto conn = sys::acceptConnection(listener_->get());
      if (conn) {
        answer(conn->get());
      }
    }
  }

  // Reads what the sender wrote (10 s at most), answers garbage and hangs up.
  static void answer(int fd) {
    const timeval wait{.tv_sec = 10, .tv_usec = 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    std::array<char, 4096> in{};
    (void)::recv(fd, in.data(), in.size(), 0);
    std::array<unsigned char, 64> garbage{};
    garbage.fill(0xFF);
    (void)::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL);
  }

  Result<UniqueFd> listener_;
  std::atomic<bool> stop_{false};
  std::jthread thread_;  // last: starts after the listener exists, joins before it closes
};

}  // namespace rr::testing
