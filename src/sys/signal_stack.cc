#include "roadrunner/sys/signal_stack.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <utility>

namespace rr::sys {

Result<AltSignalStack> AltSignalStack::install(std::size_t size) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  size = (size + page - 1) / page * page;
  const std::size_t mapping_size = size + page;
  auto mapping =
      Mapping::map(mapping_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK);
  if (!mapping) {
    return std::unexpected(mapping.error());
  }
  std::byte* base = mapping->data();
  AltSignalStack owner(std::move(*mapping));
  if (::mprotect(base, page, PROT_NONE) != 0) {
    return failErrno("mprotect(signal stack guard)");
  }
  stack_t stack{};
  stack.ss_sp = base + page;
  stack.ss_size = size;
  if (::sigaltstack(&stack, nullptr) != 0) {
    return failErrno("sigaltstack");
  }
  return owner;
}

AltSignalStack::~AltSignalStack() {
  if (!mapping_.valid()) {
    return;
  }
  stack_t current{};
  if (::sigaltstack(nullptr, &current) != 0) {
    return;
  }
  const auto* sp = static_cast<const std::byte*>(current.ss_sp);
  if (sp > mapping_.data() && sp < mapping_.data() + mapping_.size()) {
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    (void)::sigaltstack(&off, nullptr);
  }
  // mapping_ unmaps itself after this.
}

}  // namespace rr::sys
