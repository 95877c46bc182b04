// SharedPages: the table behind share_pages and unshare_pages, on a plain mapping standing in
// for a linear memory. Every hostile range gets its status; a range stays shared until it is
// unshared; the table never holds more than kMaxRanges.

#include "roadrunner/wasm/shared_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "roadrunner/guest/abi.h"
#include "roadrunner/sys/huge_file.h"
#include "roadrunner/sys/mapping.h"

namespace rr::wasm {
namespace {

constexpr std::uint32_t kPage = RR_PAGE_SIZE;
constexpr std::uint32_t kMemory = 256 * kPage;

sys::Mapping memoryMapping() {
  auto m = sys::Mapping::map(kMemory, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  EXPECT_TRUE(m.has_value());
  return std::move(*m);
}

TEST(SharedPagesTest, HostileRangesGetStatuses) {
  const sys::Mapping m = memoryMapping();
  SharedPages shared;
  EXPECT_EQ(shared.share(m.bytes(), kMemory - kPage, 2 * kPage), Status::kFault);
  EXPECT_EQ(shared.share(m.bytes(), 0xFFFFF000U, 0x2000U), Status::kFault) << "wraps past 4 GiB";
  EXPECT_EQ(shared.share(m.bytes(), 100, kPage), Status::kInvalid);
  EXPECT_EQ(shared.share(m.bytes(), kPage, 100), Status::kInvalid);
  EXPECT_EQ(shared.share(m.bytes(), kPage, 0), Status::kInvalid);
  ASSERT_EQ(shared.share(m.bytes(), 4 * kPage, 4 * kPage), Status::kOk);
  EXPECT_EQ(shared.share(m.bytes(), 4 * kPage, 4 * kPage), Status::kOk) << "the same range";
  EXPECT_EQ(shared.share(m.bytes(), 6 * kPage, 4 * kPage), Status::kInvalid) << "overlaps";
  EXPECT_EQ(shared.share(m.bytes(), 2 * kPage, 3 * kPage), Status::kInvalid) << "overlaps";
  EXPECT_EQ(shared.unshare(m.bytes(), 4 * kPage, kPage), Status::kInvalid) << "part of one";
  EXPECT_EQ(shared.unshare(m.bytes(), 9 * kPage, kPage), Status::kInvalid) << "never shared";
  EXPECT_EQ(shared.size(), 1U);
}

TEST(SharedPagesTest, FindsPayloadsThatStartOnASharedPage) {
  const sys::Mapping m = memoryMapping();
  SharedPages shared;
  ASSERT_EQ(shared.share(m.bytes(), 4 * kPage, 4 * kPage), Status::kOk);
  const auto whole = shared.find(4 * kPage, 4 * kPage);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->offset, 0U);
  EXPECT_GE(whole->fd, 0);
  const auto inner = shared.find(5 * kPage, 100);
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(inner->offset, kPage);
  EXPECT_FALSE(shared.find(5 * kPage + 8, 100)) << "not page-aligned";
  EXPECT_FALSE(shared.find(7 * kPage, 2 * kPage)) << "runs past the range";
  EXPECT_FALSE(shared.find(0, kPage)) << "not shared";
  EXPECT_TRUE(shared.overlaps(7 * kPage, 2 * kPage));
  EXPECT_FALSE(shared.overlaps(8 * kPage, kPage));
  EXPECT_FALSE(shared.overlaps(0, 4 * kPage));
}

TEST(SharedPagesTest, UnsharedPagesAreZerosAndAnotherRangeCanTakeThem) {
  const sys::Mapping m = memoryMapping();
  SharedPages shared;
  ASSERT_EQ(shared.share(m.bytes(), 4 * kPage, 4 * kPage), Status::kOk);
  std::memset(m.data() + 4 * kPage, 'x', 4 * kPage);
  ASSERT_EQ(shared.unshare(m.bytes(), 4 * kPage, 4 * kPage), Status::kOk);
  EXPECT_EQ(m.data()[4 * kPage], std::byte{0});
  EXPECT_FALSE(shared.overlaps(4 * kPage, 4 * kPage));
  EXPECT_EQ(shared.share(m.bytes(), 6 * kPage, 4 * kPage), Status::kOk);
}

// Both kinds of file: a sealed memfd from offset 0, and a file of huge pages from the offset
// that agrees with the range's address (a plain mapping here, so rarely 0).
constexpr std::array kKinds{sys::SharedFileKind::kSealedMemfd, sys::SharedFileKind::kHugePages};

const char* kindName(sys::SharedFileKind kind) {
  return kind == sys::SharedFileKind::kSealedMemfd ? "sealed memfd" : "huge pages";
}

// A range of huge pages starts in its file where its address agrees modulo 2 MiB and is not
// sealed (it must never cross to another process); one in a memfd starts at 0, sealed. Where
// the process cannot mount the huge-page tmpfs, both are sealed memfds.
TEST(SharedPagesTest, TheViewSaysWhereAndWhetherSealed) {
  const bool huge_files = sys::makeHugePageFile(kPage).has_value();
  for (const auto kind : kKinds) {
    SCOPED_TRACE(kindName(kind));
    const sys::Mapping m = memoryMapping();
    SharedPages shared;
    ASSERT_EQ(shared.share(m.bytes(), 4 * kPage, 4 * kPage, kind), Status::kOk);
    const auto view = shared.find(5 * kPage, kPage);
    ASSERT_TRUE(view.has_value());
    const bool huge = kind == sys::SharedFileKind::kHugePages && huge_files;
    EXPECT_EQ(view->sealed, !huge);
    const auto address = reinterpret_cast<std::uintptr_t>(m.data() + 4 * kPage);
    EXPECT_EQ(view->offset, (huge ? address % sys::kHugePage : 0) + kPage);
    std::memset(m.data() + 5 * kPage, 'v', kPage);
    std::array<std::byte, 1> byte{};
    ASSERT_EQ(::pread(view->fd, byte.data(), 1, static_cast<off_t>(view->offset)), 1);
    EXPECT_EQ(byte[0], std::byte{'v'}) << "the view's offset holds the payload's first byte";
  }
}

// After a move: the payload reads as zeros through every mapping of the file (zeroed in place,
// its pages kept for the next fill), up to the payload's end only; the rest of the range keeps
// its bytes.
TEST(SharedPagesTest, ClearZeroesThePayloadAndNothingElse) {
  for (const auto kind : kKinds) {
    SCOPED_TRACE(kindName(kind));
    const sys::Mapping m = memoryMapping();
    SharedPages shared;
    ASSERT_EQ(shared.share(m.bytes(), 8 * kPage, 8 * kPage, kind), Status::kOk);
    std::memset(m.data() + 8 * kPage, 0x5A, 8 * kPage);
    const auto view = shared.find(9 * kPage, 3 * kPage + 100);
    ASSERT_TRUE(view.has_value());
    auto other = sys::openThreadFd(view->tid, view->fd, view->inode);
    ASSERT_TRUE(other.has_value()) << other.error().message();
    shared.clear(m.bytes(), 9 * kPage, 3 * kPage + 100);
    for (std::uint32_t i = 8 * kPage; i < 16 * kPage; ++i) {
      const bool payload = i >= 9 * kPage && i < 12 * kPage + 100;
      ASSERT_EQ(static_cast<int>(m.data()[i]), payload ? 0 : 0x5A) << "byte " << i;
    }
    std::array<std::byte, kPage> page{};
    ASSERT_EQ(
        ::pread(other->get(), page.data(), page.size(), static_cast<off_t>(view->offset + kPage)),
        kPage);
    EXPECT_EQ(page[0], std::byte{0}) << "the file itself holds zeros for the moved page";
    ASSERT_EQ(
        ::pread(other->get(), page.data(), page.size(), static_cast<off_t>(view->offset - kPage)),
        kPage);
    EXPECT_EQ(static_cast<int>(page[0]), 0x5A) << "the page before the payload is kept";
  }
}

// Detach: the range moves to a fresh file of the same kind with the same bytes, so writes from
// then on never reach whoever still maps the old one; with `cleared`, the payload reads as zeros
// after.
TEST(SharedPagesTest, DetachLeavesTheOldFileAsItWas) {
  for (const auto kind : kKinds) {
    for (const bool cleared : {false, true}) {
      SCOPED_TRACE(std::string(kindName(kind)) + (cleared ? ", move" : ", lend"));
      const sys::Mapping m = memoryMapping();
      SharedPages shared;
      ASSERT_EQ(shared.share(m.bytes(), 8 * kPage, 4 * kPage, kind), Status::kOk);
      std::memset(m.data() + 8 * kPage, 0x5A, 4 * kPage);
      const auto before = shared.find(8 * kPage, kPage);
      ASSERT_TRUE(before.has_value());
      auto old_fd = sys::openThreadFd(before->tid, before->fd, before->inode);
      ASSERT_TRUE(old_fd.has_value());
      auto receiver = sys::Mapping::map(4 * kPage, PROT_READ, MAP_PRIVATE, old_fd->get(),
                                        static_cast<off_t>(before->offset));
      ASSERT_TRUE(receiver.has_value());
      shared.detach(m.bytes(), 9 * kPage, kPage, cleared);
      std::memset(m.data() + 10 * kPage, 0xEE, kPage);  // the sender writes again
      EXPECT_EQ(static_cast<int>(receiver->data()[2 * kPage]), 0x5A) << "the receiver's view";
      EXPECT_EQ(static_cast<int>(receiver->data()[kPage]), 0x5A);
      EXPECT_EQ(static_cast<int>(m.data()[8 * kPage]), 0x5A) << "the sender's other bytes";
      EXPECT_EQ(static_cast<int>(m.data()[9 * kPage]), cleared ? 0 : 0x5A);
      const auto after = shared.find(8 * kPage, kPage);
      ASSERT_TRUE(after.has_value());
      EXPECT_NE(after->inode, before->inode) << "a fresh file";
      EXPECT_EQ(after->sealed, before->sealed) << "of the same kind";
      EXPECT_EQ(shared.size(), 1U);
    }
  }
}

TEST(SharedPagesTest, HoldsAtMostItsLimit) {
  const sys::Mapping m = memoryMapping();
  SharedPages shared;
  for (std::uint32_t i = 0; i < SharedPages::kMaxRanges; ++i) {
    ASSERT_EQ(shared.share(m.bytes(), i * kPage, kPage), Status::kOk) << i;
  }
  EXPECT_EQ(shared.share(m.bytes(), 200 * kPage, kPage), Status::kNoMemory);
  ASSERT_EQ(shared.unshare(m.bytes(), 0, kPage), Status::kOk);
  EXPECT_EQ(shared.share(m.bytes(), 200 * kPage, kPage), Status::kOk);
}

std::size_t mappingCount() {
  std::ifstream maps("/proc/self/maps");
  std::size_t n = 0;
  for (std::string line; std::getline(maps, line);) {
    ++n;
  }
  return n;
}

// Sharing and unsharing leaves no mapping behind: 10,000 rounds over ranges at changing offsets
// (each splits the memory's mapping in three, and unsharing must let it merge back).
TEST(SharedPagesTest, TenThousandRoundsLeaveNoMappingBehind) {
  const sys::Mapping m = memoryMapping();
  SharedPages shared;
  ASSERT_EQ(shared.share(m.bytes(), kPage, kPage), Status::kOk);  // first-use allocations
  ASSERT_EQ(shared.unshare(m.bytes(), kPage, kPage), Status::kOk);
  const std::size_t before = mappingCount();
  for (std::uint32_t i = 0; i < 10'000; ++i) {
    const std::uint32_t at = (1 + i % 200) * kPage;
    ASSERT_EQ(shared.share(m.bytes(), at, 2 * kPage), Status::kOk) << i;
    m.data()[at] = std::byte{1};
    ASSERT_EQ(shared.unshare(m.bytes(), at, 2 * kPage), Status::kOk) << i;
  }
  // A few mappings of slack: a sanitizer's allocator maps memory of its own as the test runs
  // (ASan: 275 -> 279). A range left behind per round would add hundreds (323 against 124).
  EXPECT_LE(mappingCount(), before + 16);
  EXPECT_EQ(shared.size(), 0U);
}

}  // namespace
}  // namespace rr::wasm
