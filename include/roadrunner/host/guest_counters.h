#pragma once

// Counters a function adds to itself (the `add_counter` import): an operator sees them beside the
// host's own metrics, as roadrunner_guest_counter_total{function, name}. See docs/abi.md.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "roadrunner/host/status.h"

namespace rr::host {

/// One function instance's counters, by name. At most kMaxNames names, each 1 to kMaxNameLen
/// characters of [A-Za-z0-9_], so the label values a function can make stay few and plain.
/// Thread-safety: add() from the instance's thread only; snapshot() from any thread, at any time
/// (a name is complete before its slot becomes visible).
class GuestCounters {
 public:
  static constexpr std::size_t kMaxNames = 32;
  static constexpr std::size_t kMaxNameLen = 64;

  /// Adds `value` to the counter `name`, made at its first add. kInvalid: a name that is empty,
  /// too long or has another character; kNoMemory: kMaxNames names exist already.
  [[nodiscard]] Status add(std::string_view name, std::uint64_t value) noexcept;
  [[nodiscard]] std::vector<std::pair<std::string, std::uint64_t>> snapshot() const;
  /// 1 to kMaxNameLen characters of [A-Za-z0-9_] (span event names follow the same rule).
  [[nodiscard]] static bool validName(std::string_view name) noexcept;

 private:
  struct Slot {
    std::array<char, kMaxNameLen> name{};
    std::size_t len = 0;
    std::atomic<std::uint64_t> value{0};
  };
  std::array<Slot, kMaxNames> slots_{};
  std::atomic<std::size_t> used_{0};
};

}  // namespace rr::host
