#pragma once

#include <unistd.h>

#include <utility>

namespace rr {

/// The one owner of a file descriptor. Move-only; -1 means empty; fd 0 is a valid descriptor.
/// Thread-safety: none (like any value). Borrowed descriptors are plain `int`s.
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (const int old = std::exchange(fd_, fd); old >= 0) {
      ::close(old);  // Linux: never retry close() after EINTR.
    }
  }

 private:
  int fd_ = -1;
};

}  // namespace rr
