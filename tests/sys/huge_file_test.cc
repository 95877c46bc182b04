// makeHugePageFile: unnamed files of 2 MiB pages on a tmpfs of the process's own, which no path
// or mount table shows; a reader maps each whole huge page with one fault.

#include "roadrunner/sys/huge_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/sys/mapping.h"

#include "../testing/page_reads.h"

namespace rr::sys {
namespace {

constexpr std::size_t kSize = std::size_t{8} << 20;

// A file of kSize bytes, every 4 KiB page stamped with its index; skips the test where this
// process may not mount a tmpfs (no CAP_SYS_ADMIN): callers then use memfds.
#define RR_HUGE_FILE_OR_SKIP(name)                                                         \
  auto name = makeHugePageFile(kSize);                                                     \
  if (!(name) && (name).error().code == std::error_code(EPERM, std::generic_category())) { \
    GTEST_SKIP() << (name).error().message();                                              \
  }                                                                                        \
  ASSERT_TRUE((name).has_value()) << (name).error().message()

void stampPages(int fd) {
  std::vector<std::byte> page(4096);
  for (std::size_t off = 0; off < kSize; off += page.size()) {
    const std::size_t index = off / page.size();
    std::memcpy(page.data(), &index, sizeof index);
    ASSERT_EQ(::pwrite(fd, page.data(), page.size(), static_cast<off_t>(off)),
              static_cast<ssize_t>(page.size()));
  }
}

// A reader's private mapping at a 2 MiB-aligned address takes one fault per huge page: 4 for
// 8 MiB, where a memfd's 4 KiB pages take one per 64 KiB (128). Its writes stay its own.
TEST(HugePageFileTest, AReaderMapsEachHugePageWithOneFault) {
  RR_HUGE_FILE_OR_SKIP(file);
  stampPages(file->get());
  auto reserved = Mapping::map(kSize + kHugePage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
  ASSERT_TRUE(reserved.has_value());
  const auto address = reinterpret_cast<std::uintptr_t>(reserved->data());
  const std::span<std::byte> view(
      reserved->data() + ((kHugePage - address % kHugePage) % kHugePage), kSize);
  ASSERT_TRUE(replaceWithFile(view, file->get()).has_value());
  std::size_t wrong = 0;
  const std::uint64_t faults = testing::readEveryPage(view, wrong);
  EXPECT_EQ(wrong, 0U);
  EXPECT_LE(faults, kSize / kHugePage + 2) << "huge pages mapped whole";
  view[0] = std::byte{0xEE};
  std::size_t first = 1;
  ASSERT_EQ(::pread(file->get(), &first, sizeof first, 0), static_cast<ssize_t>(sizeof first));
  EXPECT_EQ(first, 0U) << "the reader's write stays private";
}

// Every file lives on the one mount made for the process, which no mount table lists; it cannot
// be sealed, which is why it never crosses to another process.
TEST(HugePageFileTest, FilesShareOneMountThatNoTableLists) {
  RR_HUGE_FILE_OR_SKIP(first);
  auto second = makeHugePageFile(4096);
  ASSERT_TRUE(second.has_value());
  struct stat a{};
  struct stat b{};
  ASSERT_EQ(::fstat(first->get(), &a), 0);
  ASSERT_EQ(::fstat(second->get(), &b), 0);
  EXPECT_EQ(a.st_dev, b.st_dev);
  EXPECT_NE(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 0U) << "no name";
  const std::string device =
      " " + std::to_string(major(a.st_dev)) + ":" + std::to_string(minor(a.st_dev)) + " ";
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    EXPECT_EQ(line.find(device), std::string::npos) << line;
  }
  EXPECT_NE(::fcntl(first->get(), F_ADD_SEALS, F_SEAL_SHRINK), 0);
}

}  // namespace
}  // namespace rr::sys
