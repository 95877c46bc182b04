#include "child_output.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace rr::bench {
namespace {

using Clock = std::chrono::steady_clock;

int millisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60'000));
}

// One read from a readable descriptor; false at end of file or on an error.
bool drain(int fd, std::string& into, std::size_t limit) {
  std::array<char, 65536> buf{};
  const ssize_t n = ::read(fd, buf.data(), buf.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    return true;
  }
  if (n <= 0) {
    return false;
  }
  const std::size_t room = limit - std::min(limit, into.size());
  into.append(buf.data(), std::min(room, static_cast<std::size_t>(n)));
  return true;
}

}  // namespace

Result<ChildOutput> readUntilClosed(int out_fd, int err_fd, Clock::time_point deadline,
                                    std::size_t limit) {
  ChildOutput output;
  std::array<pollfd, 2> fds{pollfd{.fd = out_fd, .events = POLLIN, .revents = 0},
                            pollfd{.fd = err_fd, .events = POLLIN, .revents = 0}};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (Clock::now() >= deadline) {
      return fail(Errc::kTimedOut, "child output",
                  "no end of output by the deadline; it wrote: " + output.err.substr(0, 500));
    }
    const int ready = ::poll(fds.data(), fds.size(), millisLeft(deadline));
    if (ready < 0 && errno != EINTR) {
      return failErrno("poll(child output)");
    }
    for (std::size_t i = 0; ready > 0 && i < fds.size(); ++i) {
      if (fds[i].fd >= 0 && fds[i].revents != 0 &&
          !drain(fds[i].fd, i == 0 ? output.out : output.err, limit)) {
        fds[i].fd = -1;  // poll skips negative descriptors
      }
    }
  }
  return output;
}

}  // namespace rr::bench
