// Fan-out benchmark sender: sends SIZE bytes of the paper's payload to the "receiver" group RUNS
// times; every instance of the group gets each send, concurrently. Each round is stamped and
// sealed (bench_hash.h) before the send call; every member checks its copy, and a member that
// got a damaged one fails the send. Exit 0 if every send was ok.
// Usage: bench_fan_sender SIZE RUNS [shared]
// With "shared" the payload sits in a shared buffer (rr_shared_buffer): embedded members map its
// pages copy-on-write instead of each copying it.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_payload.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    return 64;
  }
  uint32_t size = (uint32_t)strtoul(argv[1], NULL, 10);
  int runs = atoi(argv[2]);
  const int shared = argc > 3 && strcmp(argv[3], "shared") == 0;
  uint8_t* buf = shared ? rr_shared_buffer(size ? size : 1)
                        : aligned_alloc(4096, size ? (size + 4095) & ~4095u : 4096);
  if (!buf) {
    return 65;
  }
  bench_fill(buf, size);
  for (int i = 0; i < runs; ++i) {
    (void)bench_stamp(buf, size, (uint32_t)i);
    rr_status_t st = rr_send("receiver", buf, size);
    if (st != RR_OK) {
      fprintf(stderr, "send %d: %s\n", i, rr_status_name(st));
      return (int)st;
    }
  }
  return 0;
}
