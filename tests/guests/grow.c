// A WASI command that grows its linear memory 1 MiB at a time, then a page at a time, touching
// every page, until memory.grow fails or it holds TARGET_MIB: `grow TARGET_MIB`. It prints how
// far it got in KiB, so a test sees the exact cap the host set (a cgroup that kills it first
// shows as a signal instead).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 65536UL
#define PAGES_PER_MIB 16

static int grow(unsigned long pages) {
  const unsigned long old = __builtin_wasm_memory_grow(0, pages);
  if (old == (unsigned long)-1) {
    return 0;
  }
  memset((char*)(old * PAGE), 0x5a, pages * PAGE);  // charged to the cgroup
  return 1;
}

int main(int argc, char** argv) {
  const unsigned long target = (argc > 1 ? strtoul(argv[1], NULL, 10) : 64) * PAGES_PER_MIB;
  while (__builtin_wasm_memory_size(0) + PAGES_PER_MIB <= target) {
    if (!grow(PAGES_PER_MIB)) {
      while (grow(1)) {
      }
      printf("memory.grow failed at %lu KiB\n", __builtin_wasm_memory_size(0) * (PAGE / 1024));
      return 3;
    }
  }
  printf("grew to %lu KiB\n", __builtin_wasm_memory_size(0) * (PAGE / 1024));
  return 0;
}
