// Traps: an out-of-bounds store far past the end of linear memory.
#include <stdint.h>
#include <stdio.h>

int main(void) {
  puts("about to trap");
  fflush(stdout);
  volatile uint8_t* p = (volatile uint8_t*)(uintptr_t)0xFFFFFFF0u;
  *p = 1;
  return 0;
}
