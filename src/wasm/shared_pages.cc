#include "roadrunner/wasm/shared_pages.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "roadrunner/base/log.h"
#include "roadrunner/guest/abi.h"
#include "roadrunner/host/guest_memory.h"
#include "roadrunner/sys/mapping.h"

namespace rr::wasm {

using host::guestSlice;

Status SharedPages::share(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len,
                          sys::SharedFileKind kind) {
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
  auto file = sys::replaceWithSharedPages(*pages, /*keep_bytes=*/false, kind);
  if (!file) {
    RR_LOG_WARN("share_pages({:#x}, {}): {}", buf, len, file.error().message());
    // A failed MAP_FIXED may have left the range unmapped: put zero pages back.
    (void)sys::replaceWithZeroPages(*pages);
    return Status::kNoMemory;
  }
  struct stat st{};
  if (::fstat(file->fd.get(), &st) != 0) {
    (void)sys::replaceWithZeroPages(*pages);
    return Status::kNoMemory;
  }
  ranges_.push_back({.buf = buf,
                     .len = len,
                     .file = std::move(*file),
                     .tid = static_cast<int>(::gettid()),
                     .inode = static_cast<std::uint64_t>(st.st_ino),
                     .dev = static_cast<std::uint64_t>(st.st_dev),
                     .kind = kind});
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
      return SharedView{.fd = r.file.fd.get(),
                        .tid = r.tid,
                        .inode = r.inode,
                        .offset = r.file.offset + (std::uint64_t{buf} - r.buf),
                        .dev = r.dev,
                        .sealed = r.file.sealed};
    }
  }
  return std::nullopt;
}

SharedPages::Range* SharedPages::holding(std::uint32_t buf, std::uint32_t len) noexcept {
  const auto it = std::ranges::find_if(ranges_, [&](const Range& r) {
    return buf >= r.buf && std::uint64_t{buf} + len <= std::uint64_t{r.buf} + r.len;
  });
  return it == ranges_.end() ? nullptr : &*it;
}

void SharedPages::clear(std::span<std::byte> memory, std::uint32_t buf,
                        std::uint32_t len) noexcept {
  const Range* r = holding(buf, len);
  const auto bytes = guestSlice(memory, buf, len);
  if (r == nullptr || !bytes) {
    return;
  }
  // Zeroed in place, the pages staying in the file: a sender refills a move buffer, and pages
  // punched out of the file came back as fresh ones, a zeroing fault each (1.5 us per 4 KiB),
  // which the next receiver's host also populated slower (docs/benchmarks.md, "Kernel mode").
  std::memset(bytes->data(), 0, len);
}

void SharedPages::detach(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len,
                         bool cleared) noexcept {
  Range* r = holding(buf, len);
  const auto pages = r != nullptr ? guestSlice(memory, r->buf, r->len) : std::nullopt;
  if (!pages) {
    return;
  }
  struct stat st{};
  auto file = sys::replaceWithSharedPages(*pages, /*keep_bytes=*/true, r->kind);
  if (!file || ::fstat(file->fd.get(), &st) != 0) {
    // The range cannot leave the old file: it leaves sharing instead, as zero pages.
    RR_LOG_ERROR("shared range {:#x}+{} unshared, a receiver may still map it: {}", r->buf, r->len,
                 file ? "fstat failed" : file.error().message());
    (void)sys::replaceWithZeroPages(*pages);
    ranges_.erase(ranges_.begin() + (r - ranges_.data()));
    return;
  }
  r->file = std::move(*file);
  r->tid = static_cast<int>(::gettid());
  r->inode = static_cast<std::uint64_t>(st.st_ino);
  r->dev = static_cast<std::uint64_t>(st.st_dev);
  if (cleared) {
    clear(memory, buf, len);
  }
}

bool SharedPages::overlaps(std::uint64_t buf, std::uint64_t len) const noexcept {
  return len > 0 && std::ranges::any_of(ranges_, [&](const Range& r) {
           return buf < std::uint64_t{r.buf} + r.len && r.buf < buf + len;
         });
}

}  // namespace rr::wasm
