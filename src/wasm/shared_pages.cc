#include "roadrunner/wasm/shared_pages.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "roadrunner/base/log.h"
#include "roadrunner/guest/abi.h"
#include "roadrunner/host/guest_memory.h"
#include "roadrunner/sys/mapping.h"

namespace rr::wasm {

using host::guestSlice;

Status SharedPages::share(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len) {
  const auto pages = guestSlice(memory, buf, len);
  if (!pages) {
    return Status::kFault;
  }
  if (len == 0 || buf % RR_PAGE_SIZE != 0 || len % RR_PAGE_SIZE != 0) {
    return Status::kInvalid;
  }
  if (std::ranges::any_of(ranges_, [&](const Range& r) { return r.buf == buf && r.len == len; })) {
    return Status::kOk;  // shared already: an SDK that reuses a buffer asks again
  }
  if (overlaps(buf, len)) {
    return Status::kInvalid;
  }
  if (ranges_.size() >= kMaxRanges) {
    return Status::kNoMemory;
  }
  auto fd = sys::replaceWithSharedPages(*pages);
  if (!fd) {
    RR_LOG_WARN("share_pages({:#x}, {}): {}", buf, len, fd.error().message());
    // A failed MAP_FIXED may have left the range unmapped: put zero pages back.
    (void)sys::replaceWithZeroPages(*pages);
    return Status::kNoMemory;
  }
  struct stat st{};
  if (::fstat(fd->get(), &st) != 0) {
    (void)sys::replaceWithZeroPages(*pages);
    return Status::kNoMemory;
  }
  ranges_.push_back({.buf = buf,
                     .len = len,
                     .fd = std::move(*fd),
                     .tid = static_cast<int>(::gettid()),
                     .inode = static_cast<std::uint64_t>(st.st_ino)});
  return Status::kOk;
}

Status SharedPages::unshare(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len) {
  const auto it =
      std::ranges::find_if(ranges_, [&](const Range& r) { return r.buf == buf && r.len == len; });
  const auto pages = guestSlice(memory, buf, len);
  if (it == ranges_.end() || !pages) {
    return Status::kInvalid;
  }
  if (auto zeroed = sys::replaceWithZeroPages(*pages); !zeroed) {
    RR_LOG_WARN("unshare_pages({:#x}, {}): {}", buf, len, zeroed.error().message());
    return Status::kNoMemory;
  }
  ranges_.erase(it);
  return Status::kOk;
}

std::optional<SharedView> SharedPages::find(std::uint32_t buf, std::uint32_t len) const noexcept {
  if (buf % RR_PAGE_SIZE != 0) {
    return std::nullopt;
  }
  for (const Range& r : ranges_) {
    if (buf >= r.buf && std::uint64_t{buf} + len <= std::uint64_t{r.buf} + r.len) {
      return SharedView{
          .fd = r.fd.get(), .tid = r.tid, .inode = r.inode, .offset = std::uint64_t{buf} - r.buf};
    }
  }
  return std::nullopt;
}

bool SharedPages::overlaps(std::uint64_t buf, std::uint64_t len) const noexcept {
  return len > 0 && std::ranges::any_of(ranges_, [&](const Range& r) {
           return buf < std::uint64_t{r.buf} + r.len && r.buf < buf + len;
         });
}

}  // namespace rr::wasm
