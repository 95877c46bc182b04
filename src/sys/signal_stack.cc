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
  void* mapping = ::mmap(nullptr, mapping_size, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (mapping == MAP_FAILED) {
    return failErrno("mmap(alternate signal stack)");
  }
  AltSignalStack owner(mapping, mapping_size);
  if (::mprotect(mapping, page, PROT_NONE) != 0) {
    return failErrno("mprotect(signal stack guard)");
  }
  stack_t stack{};
  stack.ss_sp = static_cast<char*>(mapping) + page;
  stack.ss_size = size;
  if (::sigaltstack(&stack, nullptr) != 0) {
    return failErrno("sigaltstack");
  }
  return owner;
}

AltSignalStack::AltSignalStack(AltSignalStack&& other) noexcept
    : mapping_(std::exchange(other.mapping_, nullptr)),
      mapping_size_(std::exchange(other.mapping_size_, 0)) {}

AltSignalStack::~AltSignalStack() {
  if (mapping_ == nullptr) {
    return;
  }
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && current.ss_sp != nullptr &&
      static_cast<char*>(current.ss_sp) > static_cast<char*>(mapping_) &&
      static_cast<char*>(current.ss_sp) < static_cast<char*>(mapping_) + mapping_size_) {
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    (void)::sigaltstack(&off, nullptr);
  }
  ::munmap(mapping_, mapping_size_);
}

}  // namespace rr::sys
