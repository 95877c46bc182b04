// Mapping and Pipe: the owners of a mapping and of a pipe's two ends.

#include "roadrunner/sys/mapping.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/sys/tcp.h"

namespace rr::sys {
namespace {

constexpr std::size_t kSize = 1U << 16U;

// msync fails with ENOMEM on a range that is not mapped.
bool isMapped(const std::byte* at, std::size_t size) {
  return ::msync(const_cast<std::byte*>(at), size, MS_ASYNC) == 0;
}

Mapping anonymous() {
  auto m = Mapping::map(kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  EXPECT_TRUE(m.has_value()) << m.error().message();
  return std::move(*m);
}

TEST(MappingTest, UnmapsOnceWhenDestroyed) {
  const std::byte* at = nullptr;
  {
    const Mapping m = anonymous();
    at = m.data();
    ASSERT_TRUE(isMapped(at, kSize));
    std::memset(m.data(), 0x5a, m.size());
  }
  EXPECT_FALSE(isMapped(at, kSize));
}

TEST(MappingTest, MovedFromOwnsNothing) {
  Mapping a = anonymous();
  const std::byte* at = a.data();
  Mapping b = std::move(a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): what a move leaves is the point
  a.reset();                // unmaps nothing: b still owns the range
  EXPECT_TRUE(isMapped(at, kSize));
  EXPECT_EQ(b.data(), at);
}

TEST(MappingTest, MoveAssignUnmapsTheOldMappingAfterTheNewOneExists) {
  Mapping slot = anonymous();
  const std::byte* old_at = slot.data();
  Mapping bigger = anonymous();
  const std::byte* new_at = bigger.data();
  slot = std::move(bigger);
  EXPECT_FALSE(isMapped(old_at, kSize));
  EXPECT_TRUE(isMapped(new_at, kSize));
  EXPECT_EQ(slot.data(), new_at);
}

TEST(MappingTest, FailedMapIsAnError) {
  auto m = Mapping::map(kSize, PROT_READ, MAP_SHARED, /*fd=*/-1);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code, std::errc::bad_file_descriptor);
}

TEST(MappingTest, FilePagesOverAFixedRangeAndBackToZeroPages) {
  const Mapping memory = anonymous();
  auto memfd = makeSizeSealedMemfd(kSize);
  ASSERT_TRUE(memfd.has_value());
  ASSERT_EQ(::pwrite(memfd->get(), "memfd", 5, 0), 5);
  ASSERT_TRUE(replaceWithFile(memory.bytes(), memfd->get()).has_value());
  EXPECT_EQ(std::memcmp(memory.data(), "memfd", 5), 0);
  memory.data()[0] = std::byte{'M'};  // private: the file keeps its bytes
  char first = 0;
  ASSERT_EQ(::pread(memfd->get(), &first, 1, 0), 1);
  EXPECT_EQ(first, 'm');
  ASSERT_TRUE(replaceWithZeroPages(memory.bytes()).has_value());
  EXPECT_EQ(memory.data()[0], std::byte{0});
}

// A file's pages mapped privately are the file's until a write makes a private copy of one,
// which the scan finds wherever it lies (last page too), read or unread around it.
TEST(MappingTest, APrivateCopyOfAFilePageIsFoundAndANewMappingHasNone) {
  const Mapping memory = anonymous();
  auto memfd = makeSizeSealedMemfd(kSize);
  ASSERT_TRUE(memfd.has_value());
  for (const std::size_t written : {std::size_t{0}, kSize / 2 + 17, kSize - 1}) {
    ASSERT_TRUE(replaceWithFile(memory.bytes(), memfd->get()).has_value());
    EXPECT_EQ(hasPrivatePages(memory.bytes()), false) << "nothing read yet";
    unsigned sum = 0;
    for (std::size_t i = 0; i < kSize; i += 4096) {
      sum += std::to_integer<unsigned>(memory.data()[i]);  // every page the file's, present
    }
    EXPECT_EQ(sum, 0U);
    EXPECT_EQ(hasPrivatePages(memory.bytes()), false) << "read, not written";
    memory.data()[written] = std::byte{1};
    EXPECT_EQ(hasPrivatePages(memory.bytes()), true) << written;
    EXPECT_EQ(hasPrivatePages(memory.bytes().first(written & ~std::size_t{4095})), false)
        << "the pages before the written one";
  }
  ASSERT_TRUE(replaceWithZeroPages(memory.bytes()).has_value());
  memory.data()[0] = std::byte{1};
  EXPECT_EQ(hasPrivatePages(memory.bytes()), true) << "anonymous memory is private";
}

// A range backed by a fresh memfd: another range maps the same bytes privately at an offset,
// with no copy; the mapper's writes stay its own, the owner's writes reach a mapping until it
// has written that page itself.
TEST(MappingTest, SharedPagesMapElsewhereCopyOnWrite) {
  const Mapping owner = anonymous();
  const Mapping reader = anonymous();
  owner.data()[0] = std::byte{7};
  auto memfd = replaceWithSharedPages(owner.bytes());
  ASSERT_TRUE(memfd.has_value()) << memfd.error().message();
  EXPECT_EQ(owner.data()[0], std::byte{0}) << "fresh shared pages read as zeros";
  std::memset(owner.data(), 'a', kSize);
  owner.data()[4096] = std::byte{'b'};
  const std::span<std::byte> window = reader.bytes().first(kSize - 4096);
  ASSERT_TRUE(replaceWithFile(window, memfd->fd.get(), 4096).has_value());
  EXPECT_EQ(reader.data()[0], std::byte{'b'}) << "mapped from the offset";
  reader.data()[1] = std::byte{'r'};
  EXPECT_EQ(owner.data()[4097], std::byte{'a'}) << "the reader's write stays private";
  ASSERT_TRUE(replaceWithZeroPages(window).has_value());
  EXPECT_EQ(reader.data()[0], std::byte{0});
}

// A descriptor reopened through another thread's table, also when this thread's own table is
// not shared with it; a descriptor that names another file now is refused.
TEST(MappingTest, AThreadsDescriptorOpensFromAnotherTable) {
  const Mapping owner = anonymous();
  auto memfd = replaceWithSharedPages(owner.bytes());
  ASSERT_TRUE(memfd.has_value());
  struct stat st{};
  ASSERT_EQ(::fstat(memfd->fd.get(), &st), 0);
  const int tid = static_cast<int>(::gettid());
  // The opened descriptor lives in the thread's own table: checked there.
  bool opened = false;
  ino_t opened_ino = 0;
  Result<UniqueFd> stale = std::unexpected(Error::make(Errc::kOk, "unset"));
  std::thread([&] {
    if (::unshare(CLONE_FILES) != 0) {
      return;
    }
    auto file = openThreadFd(tid, memfd->fd.get(), st.st_ino);
    struct stat got{};
    opened = file.has_value() && ::fstat(file->get(), &got) == 0;
    opened_ino = got.st_ino;
    stale = openThreadFd(tid, memfd->fd.get(), st.st_ino + 1);
  }).join();
  EXPECT_TRUE(opened);
  EXPECT_EQ(opened_ino, st.st_ino);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, std::error_code(ESTALE, std::generic_category()));
}

// A descriptor names a file only with both its device and inode; a closed one names nothing.
TEST(MappingTest, ADescriptorNamesItsFileByDeviceAndInode) {
  auto a = makeSizeSealedMemfd(4096);
  auto b = makeSizeSealedMemfd(4096);
  ASSERT_TRUE(a.has_value() && b.has_value());
  struct stat st{};
  ASSERT_EQ(::fstat(a->get(), &st), 0);
  EXPECT_TRUE(namesFile(a->get(), st.st_dev, st.st_ino));
  EXPECT_FALSE(namesFile(b->get(), st.st_dev, st.st_ino)) << "another file";
  EXPECT_FALSE(namesFile(a->get(), st.st_dev + 1, st.st_ino)) << "another device";
  EXPECT_FALSE(namesFile(-1, st.st_dev, st.st_ino));
  const int number = a->get();
  a->reset();
  EXPECT_FALSE(namesFile(number, st.st_dev, st.st_ino)) << "closed";
}

TEST(PipeTest, BothEndsAreCloseOnExecAndCarryBytes) {
  auto pipe = makePipe();
  ASSERT_TRUE(pipe.has_value()) << pipe.error().message();
  EXPECT_NE(::fcntl(pipe->read_end.get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(::fcntl(pipe->write_end.get(), F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_EQ(::write(pipe->write_end.get(), "x", 1), 1);
  char c = 0;
  ASSERT_EQ(::read(pipe->read_end.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

TEST(PipeTest, SplicePipeKnowsItsCapacity) {
  auto pipe = makeSplicePipe();
  ASSERT_TRUE(pipe.has_value()) << pipe.error().message();
  EXPECT_GE(pipe->capacity, 4096U);
  EXPECT_LE(pipe->capacity, 1U << 20U);
}

}  // namespace
}  // namespace rr::sys
