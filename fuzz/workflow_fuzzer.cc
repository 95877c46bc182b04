// Fuzzes the workflow parser and plan(): any text in, a workflow or one error out, never a crash.
// A parsed workflow satisfies what the runner relies on: edges name existing functions, no
// cycles; a plan gives each receiver one mode and each remote receiver the address of every
// edge into it.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "roadrunner/runtime/workflow.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto w = rr::runtime::parseWorkflow(text, "/base");
  if (w) {
    for (const auto& e : w->edges) {
      if (w->find(e.from) == nullptr || w->find(e.to) == nullptr || e.from == e.to) {
        __builtin_trap();
      }
    }
    for (const auto& f : w->functions) {
      if (f.instances == 0 || f.wasm.empty()) {
        __builtin_trap();
      }
    }
    if (auto p = rr::runtime::plan(*w)) {
      for (const auto& e : w->edges) {
        if (p->receive_modes.at(e.to) != e.mode ||
            (p->remote(e.to) && p->remote_address.at(e.to) != e.address) ||
            (p->served(e.from) && e.mode == rr::runtime::EdgeMode::kEmbedded)) {
          __builtin_trap();
        }
      }
    } else if (p.error().message().empty()) {
      __builtin_trap();
    }
  } else if (w.error().message().empty()) {
    __builtin_trap();
  }
  return 0;
}
