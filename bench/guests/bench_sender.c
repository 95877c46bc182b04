// Benchmark sender: sends SIZE bytes of the paper's payload recipe ("Artifact for middleware
// evaluation" repeated, no newlines) to TARGET RUNS times, each round stamped and sealed
// (bench_hash.h) so no two rounds send the same bytes. Each reply must be that round's seal,
// which bench_receiver returns only for a payload that arrived whole; exit 0 only if every one
// matched. Stamping and sealing happen before the send call, outside every measured window.
// Usage: bench_sender TARGET SIZE RUNS [move|shared|shared-move]
// With "move" each round hands its payload over (rr_send_move), which leaves the buffer reading
// zeros, so each round fills it again first, also outside the window. With "shared" the payload
// sits in a shared buffer (rr_shared_buffer), whose pages a receiver maps (embedded, or kernel
// through its memfd); "shared-move" moves from a shared buffer, refilled like "move".
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_payload.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    return 64;
  }
  const char* target = argv[1];
  uint32_t size = (uint32_t)strtoul(argv[2], NULL, 10);
  int runs = atoi(argv[3]);
  const int shared_move = argc > 4 && strcmp(argv[4], "shared-move") == 0;
  const int move = shared_move || (argc > 4 && strcmp(argv[4], "move") == 0);
  const int shared = shared_move || (argc > 4 && strcmp(argv[4], "shared") == 0);
  uint8_t* buf = move && !shared ? rr_move_buffer(size)
                 : shared        ? rr_shared_buffer(size ? size : 1)
                                 : aligned_alloc(4096, size ? (size + 4095) & ~4095u : 4096);
  if (!buf) {
    fprintf(stderr, "cannot allocate %u bytes\n", size);
    return 65;
  }
  bench_fill(buf, size);
  for (int i = 0; i < runs; ++i) {
    if (move && i > 0) {
      bench_fill(buf, size);
    }
    const uint64_t want = bench_stamp(buf, size, (uint32_t)i);
    uint64_t got = 0;
    uint32_t got_len = 0;
    rr_status_t st = move ? rr_send_move_reply(target, buf, size, &got, sizeof got, &got_len)
                          : rr_send_reply(target, buf, size, &got, sizeof got, &got_len);
    if (st != RR_OK) {
      fprintf(stderr, "send %d: %s\n", i, rr_status_name(st));
      return (int)st;
    }
    if (got_len != sizeof got || got != want) {
      fprintf(stderr, "send %d: the receiver did not get this round's bytes\n", i);
      return 100;
    }
  }
  return 0;
}
