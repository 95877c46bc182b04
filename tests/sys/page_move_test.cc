// PageMover on this kernel: whole pages move and the source reads as zeros afterwards; what
// cannot move (offsets that differ within a page, partial pages, memory the kernel will not
// move) is copied and reported; neither side's later writes reach the other; and 100,000
// transfers leave the number of mappings and the resident memory where they were.

#include "roadrunner/sys/page_move.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/mapping.h"

namespace rr::sys {
namespace {

const std::size_t kPage = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

Mapping privateMemory(std::size_t pages, int flags = MAP_PRIVATE | MAP_ANONYMOUS) {
  auto m = Mapping::map(pages * kPage, PROT_READ | PROT_WRITE, flags);
  EXPECT_TRUE(m.has_value());
  return m ? std::move(*m) : Mapping();
}

/// Bytes that differ on every run and at every offset.
std::vector<std::byte> randomBytes(std::size_t n) {
  static std::mt19937_64 rng(
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::vector<std::byte> out(n);
  for (auto& b : out) {
    b = static_cast<std::byte>(rng());
  }
  return out;
}

bool allZero(std::span<const std::byte> bytes) {
  return std::ranges::all_of(bytes, [](std::byte b) { return b == std::byte{0}; });
}

PageMover openMover() {
  auto mover = PageMover::open();
  if (!mover) {
    ADD_FAILURE() << "this kernel (6.8 or later) has UFFDIO_MOVE: " << mover.error().message();
    std::abort();
  }
  return std::move(*mover);
}

TEST(PageMove, WholePagesMoveAndTheSourceReadsZeros) {
  const PageMover mover = openMover();
  const Mapping src = privateMemory(64);
  const Mapping dst = privateMemory(64);
  const auto payload = randomBytes(src.size());
  std::ranges::copy(payload, src.data());
  std::ranges::fill(dst.bytes(), std::byte{0x5A});  // populated: discarded, not mixed in
  const auto report = mover.transfer(dst.bytes(), src.bytes());
  EXPECT_EQ(report.moved, src.size());
  EXPECT_EQ(report.copied, 0U);
  EXPECT_EQ(report.copy_reason, 0);
  EXPECT_TRUE(std::ranges::equal(dst.bytes(), payload));
  EXPECT_TRUE(allZero(src.bytes()));
}

TEST(PageMove, UnpopulatedSourcePagesArriveAsZeros) {
  const PageMover mover = openMover();
  const Mapping src = privateMemory(16);
  const Mapping dst = privateMemory(16);
  const auto first = randomBytes(kPage);
  std::ranges::copy(first, src.data());  // pages 1..15 are never touched
  std::ranges::fill(dst.bytes(), std::byte{0x77});
  const auto report = mover.transfer(dst.bytes(), src.bytes());
  EXPECT_EQ(report.moved, src.size());
  EXPECT_TRUE(std::ranges::equal(dst.bytes().first(kPage), first));
  EXPECT_TRUE(allZero(dst.bytes().subspan(kPage)));
  EXPECT_TRUE(allZero(src.bytes()));
}

TEST(PageMove, PartialPagesAtTheEndsAreCopiedAndTheMiddleMoves) {
  const PageMover mover = openMover();
  const Mapping src = privateMemory(20);
  const Mapping dst = privateMemory(20);
  const std::size_t offset = 100;
  const std::size_t len = 10 * kPage + 333;
  const auto payload = randomBytes(len);
  std::ranges::copy(payload, src.data() + offset);
  const auto report =
      mover.transfer(dst.bytes().subspan(offset, len), src.bytes().subspan(offset, len));
  EXPECT_EQ(report.moved, 9 * kPage) << "the whole pages between the ends";
  EXPECT_EQ(report.copied, len - 9 * kPage);
  EXPECT_EQ(report.copy_reason, EINVAL);
  EXPECT_TRUE(std::ranges::equal(dst.bytes().subspan(offset, len), payload));
  EXPECT_TRUE(allZero(src.bytes()));
}

TEST(PageMove, OffsetsThatDifferWithinAPageAreCopied) {
  const PageMover mover = openMover();
  const Mapping src = privateMemory(8);
  const Mapping dst = privateMemory(8);
  const std::size_t len = 6 * kPage;
  const auto payload = randomBytes(len);
  std::ranges::copy(payload, src.data() + 37);
  const auto report = mover.transfer(dst.bytes().subspan(1000, len), src.bytes().subspan(37, len));
  EXPECT_EQ(report.moved, 0U);
  EXPECT_EQ(report.copied, len);
  EXPECT_EQ(report.copy_reason, EINVAL);
  EXPECT_TRUE(std::ranges::equal(dst.bytes().subspan(1000, len), payload));
  EXPECT_TRUE(allZero(src.bytes()));
}

TEST(PageMove, ADestinationTheKernelWillNotMoveIntoIsCopiedWithTheReason) {
  const PageMover mover = openMover();
  const Mapping src = privateMemory(8);
  const Mapping shared = privateMemory(8, MAP_SHARED | MAP_ANONYMOUS);
  const auto payload = randomBytes(src.size());
  std::ranges::copy(payload, src.data());
  const auto report = mover.transfer(shared.bytes(), src.bytes());
  EXPECT_EQ(report.moved, 0U);
  EXPECT_EQ(report.copied, src.size());
  EXPECT_NE(report.copy_reason, 0);
  EXPECT_TRUE(std::ranges::equal(shared.bytes(), payload));
  EXPECT_TRUE(allZero(src.bytes()));
}

TEST(PageMove, LaterWritesOnEitherSideStayOnThatSide) {
  const PageMover mover = openMover();
  const Mapping src = privateMemory(4);
  const Mapping dst = privateMemory(4);
  const auto payload = randomBytes(src.size());
  std::ranges::copy(payload, src.data());
  ASSERT_EQ(mover.transfer(dst.bytes(), src.bytes()).moved, src.size());
  std::ranges::fill(src.bytes(), std::byte{0xEE});  // the sender reuses its range
  EXPECT_TRUE(std::ranges::equal(dst.bytes(), payload));
  std::ranges::fill(dst.bytes(), std::byte{0x11});  // the receiver writes its buffer
  EXPECT_TRUE(std::ranges::all_of(src.bytes(), [](std::byte b) { return b == std::byte{0xEE}; }));
}

TEST(PageMove, EmptyTransfersDoNothing) {
  const PageMover mover = openMover();
  const Mapping m = privateMemory(1);
  const auto report = mover.transfer(m.bytes().first(0), m.bytes().first(0));
  EXPECT_EQ(report.moved + report.copied, 0U);
  EXPECT_EQ(report.copy_reason, 0);
}

/// The whole of a /proc file, read into a fixed buffer: no allocation, so the allocator (ASan's
/// maps memory as it goes) cannot change what is measured.
std::string_view procFile(const char* path, std::array<char, 1 << 16>& buffer) {
  const UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  std::size_t used = 0;
  while (fd.valid() && used < buffer.size()) {
    const ssize_t n = ::read(fd.get(), buffer.data() + used, buffer.size() - used);
    if (n <= 0) {
      break;
    }
    used += static_cast<std::size_t>(n);
  }
  return {buffer.data(), used};
}

std::size_t mappingCount() {
  static std::array<char, 1 << 16> buffer;
  return static_cast<std::size_t>(std::ranges::count(procFile("/proc/self/maps", buffer), '\n'));
}

/// A "Name: N kB" figure of a /proc file.
std::size_t procKib(const char* path, std::string_view name) {
  static std::array<char, 1 << 16> buffer;
  const std::string_view status = procFile(path, buffer);
  const std::size_t at = status.find(name);
  if (at == std::string_view::npos) {
    return 0;
  }
  std::size_t kib = 0;
  for (const char c : status.substr(at + name.size())) {
    if (c >= '0' && c <= '9') {
      kib = kib * 10 + static_cast<std::size_t>(c - '0');
    } else if (kib > 0 || c == '\n') {
      break;
    }
  }
  return kib;
}

std::size_t residentKib() { return procKib("/proc/self/status", "VmRSS:"); }
std::size_t hugePagesKib() { return procKib("/proc/self/smaps_rollup", "AnonHugePages:"); }

/// `pages` huge pages' worth of memory starting on a huge-page boundary, inside `m`.
std::span<std::byte> hugeAligned(const Mapping& m, std::size_t pages) {
  const auto address = reinterpret_cast<std::uintptr_t>(m.data());
  const std::size_t skip = (kHugePageSize - address % kHugePageSize) % kHugePageSize;
  return m.bytes().subspan(skip, pages * kHugePageSize);
}

/// Two private ranges of four huge pages each, both starting on a huge-page boundary: `src` in
/// `a`, `dst` in `b`. Skips the test on a machine with transparent huge pages off.
class HugePageMove : public ::testing::Test {
 protected:
  static constexpr std::size_t kHugePages = 4;
  void SetUp() override {
    std::array<char, 1 << 16> buffer{};
    if (procFile("/sys/kernel/mm/transparent_hugepage/enabled", buffer).find("[never]") !=
        std::string_view::npos) {
      GTEST_SKIP() << "transparent huge pages are off on this machine";
    }
  }
  const PageMover mover = openMover();
  const Mapping a = privateMemory((kHugePages + 1) * kHugePageSize / kPage);
  const Mapping b = privateMemory((kHugePages + 1) * kHugePageSize / kPage);
  const std::span<std::byte> src = hugeAligned(a, kHugePages);
  const std::span<std::byte> dst = hugeAligned(b, kHugePages);
};

// Advised memory is backed by huge pages once touched, and they move whole: the process holds as
// many huge pages after the transfer as before it (a split would leave 4 KiB pages behind).
TEST_F(HugePageMove, AdvisedMemoryMovesAsWholeHugePages) {
  ASSERT_TRUE(adviseHugePages(a.bytes()));
  const auto payload = randomBytes(src.size());
  const std::size_t before = hugePagesKib();
  std::ranges::copy(payload, src.data());
  const std::size_t filled = hugePagesKib();
  EXPECT_GE(filled, before + src.size() / 1024) << "the advised source has no huge pages";
  const auto report = mover.transfer(dst, src);
  EXPECT_EQ(report.moved, src.size());
  EXPECT_GE(hugePagesKib(), filled) << "the huge pages were split on the way";
  EXPECT_TRUE(std::ranges::equal(dst, payload));
  EXPECT_TRUE(allZero(src));
}

// A range whose 4 KiB pages moved out (filled before its memory was advised) is refilled with
// huge pages: the move leaves no page tables behind that would make every later fault 4 KiB.
TEST_F(HugePageMove, ASourceMovedAsSmallPagesRefillsAsHugePages) {
  std::ranges::fill(src, std::byte{1});  // 4 KiB pages: not advised yet
  ASSERT_TRUE(adviseHugePages(a.bytes()));
  ASSERT_EQ(mover.transfer(dst, src).moved, src.size());
  const std::size_t before = hugePagesKib();
  const auto payload = randomBytes(src.size());
  std::ranges::copy(payload, src.data());
  EXPECT_GE(hugePagesKib(), before + src.size() / 1024)
      << "the refilled source faulted 4 KiB pages into the page tables the move left";
  EXPECT_EQ(mover.transfer(dst, src).moved, src.size());
  EXPECT_TRUE(std::ranges::equal(dst, payload));
}

// Registration splits a mapping and unregistration merges it again; a move leaves none behind.
TEST(PageMove, AHundredThousandTransfersKeepMappingsAndMemoryFlat) {
  const PageMover mover = openMover();
  const Mapping a = privateMemory(64);
  const Mapping b = privateMemory(64);
  std::ranges::fill(a.bytes(), std::byte{1});
  std::size_t moved = 0;
  int round = 0;
  // Transfers of 4 pages back and forth, each starting where the last left holes.
  const auto transfers = [&](int n) {
    for (const int end = round + n; round < end; ++round) {
      const std::size_t at = static_cast<std::size_t>(round % 60) * kPage;
      const bool forth = round % 2 == 0;
      auto from = (forth ? a : b).bytes().subspan(at, 4 * kPage);
      auto to = (forth ? b : a).bytes().subspan(at, 4 * kPage);
      from[0] = static_cast<std::byte>(round);
      moved += mover.transfer(to, from).moved;
      if (to[0] != static_cast<std::byte>(round)) {
        return false;
      }
    }
    return true;
  };
  // A first thousand settles what the process sets up once (a sanitizer's fake stacks), and
  // populates both ranges.
  ASSERT_TRUE(transfers(1'000));
  const std::size_t maps_before = mappingCount();
  const std::size_t rss_before = residentKib();
  ASSERT_TRUE(transfers(100'000)) << "transfer " << round;
  EXPECT_EQ(moved, std::size_t{101'000} * 4 * kPage);
  EXPECT_EQ(mappingCount(), maps_before);
  // A page left behind per transfer would be 400 MB; the bound leaves room for a sanitizer's
  // own bookkeeping (ASan's grows by about 1.4 MiB over the run).
  EXPECT_LT(residentKib(), rss_before + 4096) << "KiB resident";
}

}  // namespace
}  // namespace rr::sys
