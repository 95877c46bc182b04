#include "roadrunner/sys/mapping.h"

#include <sys/mman.h>

namespace rr::sys {

Result<Mapping> Mapping::map(std::size_t size, int prot, int flags, int fd, off_t offset) {
  void* at = ::mmap(nullptr, size, prot, flags, fd, offset);
  if (at == MAP_FAILED) {
    return failErrno("mmap");
  }
  return Mapping(static_cast<std::byte*>(at), size);
}

void Mapping::reset() noexcept {
  if (data_ != nullptr) {
    ::munmap(data_, size_);  // fails only for a range that is not ours: never after map()
  }
  data_ = nullptr;
  size_ = 0;
}

Result<> replaceWithFile(std::span<std::byte> pages, int fd) {
  if (::mmap(pages.data(), pages.size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) ==
      MAP_FAILED) {
    return failErrno("mmap(file over fixed pages)");
  }
  return {};
}

Result<> replaceWithZeroPages(std::span<std::byte> pages) {
  if (::mmap(pages.data(), pages.size(), PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
    return failErrno("mmap(zero pages over fixed pages)");
  }
  return {};
}

}  // namespace rr::sys
