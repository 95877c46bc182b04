#include "roadrunner/host/guest_counters.h"

#include <algorithm>

namespace rr::host {
bool GuestCounters::validName(std::string_view name) noexcept {
  return !name.empty() && name.size() <= kMaxNameLen && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Status GuestCounters::add(std::string_view name, std::uint64_t value) noexcept {
  if (!validName(name)) {
    return Status::kInvalid;
  }
  const std::size_t used = used_.load(std::memory_order_relaxed);  // only this thread writes it
  for (std::size_t i = 0; i < used; ++i) {
    Slot& s = slots_[i];
    if (std::string_view(s.name.data(), s.len) == name) {
      s.value.fetch_add(value, std::memory_order_relaxed);
      return Status::kOk;
    }
  }
  if (used == kMaxNames) {
    return Status::kNoMemory;
  }
  Slot& s = slots_[used];
  std::ranges::copy(name, s.name.begin());
  s.len = name.size();
  s.value.store(value, std::memory_order_relaxed);
  used_.store(used + 1, std::memory_order_release);  // the name is complete before it is seen
  return Status::kOk;
}

std::vector<std::pair<std::string, std::uint64_t>> GuestCounters::snapshot() const {
  const std::size_t used = used_.load(std::memory_order_acquire);
  std::vector<std::pair<std::string, std::uint64_t>> out;
  out.reserve(used);
  for (std::size_t i = 0; i < used; ++i) {
    out.emplace_back(std::string(slots_[i].name.data(), slots_[i].len),
                     slots_[i].value.load(std::memory_order_relaxed));
  }
  return out;
}

}  // namespace rr::host
