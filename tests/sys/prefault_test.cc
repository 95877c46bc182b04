// Prefault: a mapped file's page tables populated on another thread, stopped and joined on
// destruction, never writing what it maps.

#include "roadrunner/sys/prefault.h"

#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "roadrunner/sys/mapping.h"
#include "roadrunner/sys/socket.h"

#include "../testing/page_reads.h"

namespace rr::sys {
namespace {

constexpr std::size_t kSize = std::size_t{32} << 20;

// A memfd of kSize bytes, every page stamped with its index, and a private mapping of it.
struct MappedFile {
  UniqueFd fd;
  Mapping view;
};

MappedFile mappedFile() {
  auto fd = makeSizeSealedMemfd(kSize);
  EXPECT_TRUE(fd.has_value());
  std::vector<std::byte> page(4096);
  for (std::size_t off = 0; off < kSize; off += page.size()) {
    const std::size_t index = off / page.size();
    std::memcpy(page.data(), &index, sizeof index);
    EXPECT_EQ(::pwrite(fd->get(), page.data(), page.size(), static_cast<off_t>(off)),
              static_cast<ssize_t>(page.size()));
  }
  auto view = Mapping::map(kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd->get());
  EXPECT_TRUE(view.has_value());
  return {std::move(*fd), std::move(*view)};
}

// The faults a read of every page takes; every page must read as its index.
std::uint64_t readEveryPage(const Mapping& view) {
  std::size_t wrong = 0;
  const std::uint64_t faults = testing::readEveryPage(view.bytes(), wrong);
  EXPECT_EQ(wrong, 0U) << "pages that do not read as the file";
  return faults;
}

bool waitPopulated(const Prefault& p, std::size_t size) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (p.populated() < size && p.error() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return p.populated() == size;
}

TEST(PrefaultTest, AReaderOfAPopulatedRangeTakesNoFaults) {
  const MappedFile f = mappedFile();
  auto p = Prefault::start(f.view.bytes());
  ASSERT_TRUE(p.has_value()) << p.error().message();
  ASSERT_TRUE(waitPopulated(**p, kSize)) << "errno " << (*p)->error();
  EXPECT_EQ((*p)->error(), 0);
  // Unpopulated, this read takes a fault per 64 KiB at least (512 here).
  EXPECT_LT(readEveryPage(f.view), 16U);
}

TEST(PrefaultTest, WithoutItTheSameReadFaults) {
  const MappedFile f = mappedFile();
  EXPECT_GE(readEveryPage(f.view), kSize / (std::size_t{1} << 16));  // the check above can fail
}

// Under the sanitizers a thread that outlived its Prefault, or touched the range after it, is
// a use after free.
TEST(PrefaultTest, DestroyedAtOnceItStopsAndTheRangeCanGo) {
  MappedFile f = mappedFile();
  auto p = Prefault::start(f.view.bytes());
  ASSERT_TRUE(p.has_value());
  const auto t0 = std::chrono::steady_clock::now();
  p->reset();  // joined here, at most one step later
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  f.view.reset();
}

TEST(PrefaultTest, NeverChangesWhatItMaps) {
  const MappedFile f = mappedFile();
  std::memset(f.view.data() + 4096, 0x7f, 4096);  // a private copy of page 1, before populating
  auto p = Prefault::start(f.view.bytes());
  ASSERT_TRUE(p.has_value());
  ASSERT_TRUE(waitPopulated(**p, kSize));
  EXPECT_EQ(static_cast<int>(f.view.data()[4096]), 0x7f);  // the private copy stays
  std::size_t index = 0;
  ASSERT_EQ(::pread(f.fd.get(), &index, sizeof index, 4096), static_cast<ssize_t>(sizeof index));
  EXPECT_EQ(index, 1U);  // and the file never saw it
}

TEST(PrefaultTest, ARangeThatIsNotMappedEndsWithAnErrorAndNothingElse) {
  auto gone = Mapping::map(kSize, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
  ASSERT_TRUE(gone.has_value());
  const std::span<std::byte> range = gone->bytes();
  gone->reset();
  auto p = Prefault::start(range);
  ASSERT_TRUE(p.has_value());
  EXPECT_FALSE(waitPopulated(**p, kSize));
  EXPECT_EQ((*p)->error(), ENOMEM);
}

}  // namespace
}  // namespace rr::sys
