// Soak sender: SMALL sends of 1 KiB, then LARGE sends of LARGE_SIZE bytes, to "receiver".
// Exit 0 if every send was ok. Usage: bench_soak_sender SMALL LARGE LARGE_SIZE
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc < 4) {
    return 64;
  }
  long small = atol(argv[1]);
  long large = atol(argv[2]);
  uint32_t large_size = (uint32_t)strtoul(argv[3], NULL, 10);
  uint8_t* buf = aligned_alloc(4096, (large_size + 4095) & ~4095u);
  if (!buf) {
    return 65;
  }
  memset(buf, 'x', large_size);
  for (long i = 0; i < small + large; ++i) {
    rr_status_t st = rr_send("receiver", buf, i < small ? 1024 : large_size);
    if (st != RR_OK) {
      fprintf(stderr, "send %ld: %s\n", i, rr_status_name(st));
      return (int)st;
    }
  }
  return 0;
}
