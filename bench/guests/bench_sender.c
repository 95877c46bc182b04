// Benchmark sender: fills SIZE bytes with the paper's payload recipe ("Artifact for middleware
// evaluation" repeated, no newlines) and sends them to TARGET RUNS times. Each reply must be the
// payload's hash (bench_receiver); exit 0 only if every one matched.
// Usage: bench_sender TARGET SIZE RUNS
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_hash.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    return 64;
  }
  const char* target = argv[1];
  uint32_t size = (uint32_t)strtoul(argv[2], NULL, 10);
  int runs = atoi(argv[3]);
  static const char kPhrase[] = "Artifact for middleware evaluation";
  uint8_t* buf = aligned_alloc(4096, size ? (size + 4095) & ~4095u : 4096);
  if (!buf) {
    fprintf(stderr, "cannot allocate %u bytes\n", size);
    return 65;
  }
  for (uint32_t i = 0; i < size; ++i) {
    buf[i] = (uint8_t)kPhrase[i % (sizeof kPhrase - 1)];
  }
  const uint64_t want = bench_hash(buf, size);
  for (int i = 0; i < runs; ++i) {
    uint64_t got = 0;
    uint32_t got_len = 0;
    rr_status_t st = rr_send_reply(target, buf, size, &got, sizeof got, &got_len);
    if (st != RR_OK) {
      fprintf(stderr, "send %d: %s\n", i, rr_status_name(st));
      return (int)st;
    }
    if (got_len != sizeof got || got != want) {
      fprintf(stderr, "send %d: hash mismatch\n", i);
      return 100;
    }
  }
  return 0;
}
