#include "roadrunner/sys/mapping.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>

#include "roadrunner/base/log.h"
#include "roadrunner/base/try.h"
#include "roadrunner/sys/huge_file.h"
#include "roadrunner/sys/socket.h"

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

namespace {

Result<SharedFile> makeSharedFile(std::uintptr_t address, std::size_t size, SharedFileKind kind) {
  if (kind == SharedFileKind::kHugePages) {
    const std::uint64_t offset = address % kHugePage;
    auto huge = makeHugePageFile(offset + size);
    if (huge) {
      return SharedFile{.fd = std::move(*huge), .offset = offset, .sealed = false};
    }
    RR_LOG_DEBUG("shared pages in a memfd of 4 KiB pages: {}", huge.error().message());
  }
  RR_ASSIGN_OR_RETURN(UniqueFd fd, makeSizeSealedMemfd(size));
  return SharedFile{.fd = std::move(fd)};
}

}  // namespace

Result<SharedFile> replaceWithSharedPages(std::span<std::byte> pages, bool keep_bytes,
                                          SharedFileKind kind) {
  RR_ASSIGN_OR_RETURN(
      SharedFile file,
      makeSharedFile(reinterpret_cast<std::uintptr_t>(pages.data()), pages.size(), kind));
  const auto offset = static_cast<off_t>(file.offset);
  if (keep_bytes) {
    const auto written = ::pwrite(file.fd.get(), pages.data(), pages.size(), offset);
    if (written < 0 || static_cast<std::size_t>(written) != pages.size()) {
      return failErrno("pwrite(shared file)", written < 0 ? errno : EIO);
    }
  }
  if (::mmap(pages.data(), pages.size(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
             file.fd.get(), offset) == MAP_FAILED) {
    return failErrno("mmap(shared file over fixed pages)");
  }
  return file;
}

Result<> preadExact(int fd, std::span<std::byte> out, std::uint64_t offset) {
  for (std::size_t done = 0; done < out.size();) {
    const auto n =
        ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return failErrno("pread", n < 0 ? errno : EIO);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
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

bool namesFile(int fd, std::uint64_t dev, std::uint64_t inode) noexcept {
  struct stat st{};
  return fd >= 0 && ::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_dev) == dev &&
         static_cast<std::uint64_t>(st.st_ino) == inode;
}

Result<> replaceWithZeroPages(std::span<std::byte> pages) {
  if (::mmap(pages.data(), pages.size(), PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
    return failErrno("mmap(zero pages over fixed pages)");
  }
  return {};
}

namespace {

// This process's page map, opened once for the process's life.
struct PageMap {
  UniqueFd fd;
  int error = 0;
};

const PageMap& pageMap() {
  static const PageMap map = [] {
    PageMap m{.fd = UniqueFd(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC))};
    m.error = m.fd.valid() ? 0 : errno;
    return m;
  }();
  return map;
}

}  // namespace

Result<bool> hasPrivatePages(std::span<const std::byte> pages) {
  const PageMap& map = pageMap();
  if (!map.fd.valid()) {
    return failErrno("open(/proc/self/pagemap)", map.error);
  }
  page_region found{};
  const auto start = reinterpret_cast<std::uintptr_t>(pages.data());
  // Pages that are not the file's (the inverted bit) and are present or swapped: private copies.
  pm_scan_arg scan{.size = sizeof scan,
                   .flags = 0,
                   .start = start,
                   .end = start + pages.size(),
                   .walk_end = 0,
                   .vec = reinterpret_cast<std::uintptr_t>(&found),
                   .vec_len = 1,
                   .max_pages = 1,
                   .category_inverted = PAGE_IS_FILE,
                   .category_mask = PAGE_IS_FILE,
                   .category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
                   .return_mask = PAGE_IS_FILE};
  const int regions = ::ioctl(map.fd.get(), PAGEMAP_SCAN, &scan);
  if (regions < 0) {
    return failErrno("ioctl(PAGEMAP_SCAN)");
  }
  return regions > 0;
}

}  // namespace rr::sys
