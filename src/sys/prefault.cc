#include "roadrunner/sys/prefault.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace rr::sys {

Result<std::unique_ptr<Prefault>> Prefault::start(std::span<std::byte> pages) {
  std::unique_ptr<Prefault> p(new Prefault(pages));
  try {
    p->thread_ = std::thread([raw = p.get()] { raw->run(); });
  } catch (const std::system_error& e) {
    return failErrno("start prefault thread", e.code().value());
  }
  return p;
}

Prefault::~Prefault() {
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Prefault::run() noexcept {
  for (std::size_t off = 0; off < pages_.size();) {
    if (stop_.load(std::memory_order_relaxed)) {
      return;
    }
    const std::size_t len = std::min(kStep, pages_.size() - off);
    if (::madvise(pages_.data() + off, len, MADV_POPULATE_READ) != 0) {
      if (errno == EINTR) {
        continue;
      }
      error_.store(errno);
      return;  // nothing lost: the reader faults the rest in itself
    }
    off += len;
    populated_.store(off);
  }
}

}  // namespace rr::sys
