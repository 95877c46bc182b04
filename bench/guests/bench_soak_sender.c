// Soak sender: SMALL sends of 1 KiB, then LARGE sends of LARGE_SIZE bytes, to "receiver". With
// a fourth argument "move", each is a move send from an rr_move_buffer, refilled every round
// (a move leaves the buffer reading zeros). Exit 0 if every send was ok.
// Usage: bench_soak_sender SMALL LARGE LARGE_SIZE [move]
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
  int move = argc > 4 && strcmp(argv[4], "move") == 0;
  uint8_t* buf =
      move ? rr_move_buffer(large_size) : aligned_alloc(4096, (large_size + 4095) & ~4095u);
  if (!buf) {
    return 65;
  }
  memset(buf, 'x', large_size);
  for (long i = 0; i < small + large; ++i) {
    uint32_t len = i < small ? 1024 : large_size;
    rr_status_t st;
    if (move) {
      memset(buf, 'x', len);
      st = rr_send_move("receiver", buf, len);
    } else {
      st = rr_send("receiver", buf, len);
    }
    if (st != RR_OK) {
      fprintf(stderr, "send %ld: %s\n", i, rr_status_name(st));
      return (int)st;
    }
  }
  return 0;
}
