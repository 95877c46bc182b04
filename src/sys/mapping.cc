#include "roadrunner/sys/mapping.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <string>

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

Result<> replaceWithFile(std::span<std::byte> pages, int fd, off_t offset) {
  if (::mmap(pages.data(), pages.size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
             offset) == MAP_FAILED) {
    return failErrno("mmap(file over fixed pages)");
  }
  return {};
}

Result<UniqueFd> replaceWithSharedPages(std::span<std::byte> pages) {
  UniqueFd fd(::memfd_create("roadrunner-shared", MFD_CLOEXEC));
  if (!fd.valid()) {
    return failErrno("memfd_create");
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(pages.size())) != 0) {
    return failErrno("ftruncate(memfd)");
  }
  if (::mmap(pages.data(), pages.size(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd.get(),
             0) == MAP_FAILED) {
    return failErrno("mmap(memfd over fixed pages)");
  }
  return fd;
}

Result<UniqueFd> openThreadFd(int tid, int fd, std::uint64_t inode) {
  std::array<char, 64> path{};
  (void)std::snprintf(path.data(), path.size(), "/proc/self/task/%d/fd/%d", tid, fd);
  UniqueFd file(::open(path.data(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) {
    return failErrno("open", errno, path.data());
  }
  struct stat st{};
  if (::fstat(file.get(), &st) != 0) {
    return failErrno("fstat");
  }
  if (st.st_ino != inode) {
    return failErrno("open", ESTALE, std::string(path.data()) + " names another file now");
  }
  return file;
}

Result<> replaceWithZeroPages(std::span<std::byte> pages) {
  if (::mmap(pages.data(), pages.size(), PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
    return failErrno("mmap(zero pages over fixed pages)");
  }
  return {};
}

}  // namespace rr::sys
