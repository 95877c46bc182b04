// roadrunner-guest: reactor
// A reactor module: exports functions but no _start.
#include <stdint.h>

__attribute__((export_name("add"))) int32_t add(int32_t a, int32_t b) { return a + b; }

__attribute__((export_name("oob"))) int32_t oob(void) {
  return *(volatile int32_t*)(uintptr_t)0xFFFFFFF0u;
}

__attribute__((export_name("nop"))) void nop(void) {}
