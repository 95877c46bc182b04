#include "roadrunner/sys/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace rr::sys {

Result<FileLock> FileLock::acquire(const std::string& path, std::chrono::milliseconds timeout) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return failErrno("open lock file", errno, path);
  }
  // Polled rather than a blocking flock, so the wait has a deadline; the interval grows to a
  // tenth of a second, which is small against the work a lock like this guards.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto interval = std::chrono::milliseconds(1);
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) {
      continue;
    }
    if (errno != EWOULDBLOCK) {
      return failErrno("flock", errno, path);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(Errc::kTimedOut, "flock", path + " is still held by another process");
    }
    std::this_thread::sleep_for(interval);
    interval = std::min(interval * 2, std::chrono::milliseconds(100));
  }
  return FileLock(std::move(fd));
}

}  // namespace rr::sys
