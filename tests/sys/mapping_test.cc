// Mapping and Pipe: the owners of a mapping and of a pipe's two ends.

#include "roadrunner/sys/mapping.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

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
