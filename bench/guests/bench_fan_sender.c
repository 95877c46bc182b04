// Fan-out benchmark sender: sends SIZE bytes of the paper's payload to the "receiver" group RUNS
// times; every instance of the group gets each send, concurrently. Exit 0 if every send was ok.
// Usage: bench_fan_sender SIZE RUNS
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    return 64;
  }
  uint32_t size = (uint32_t)strtoul(argv[1], NULL, 10);
  int runs = atoi(argv[2]);
  static const char kPhrase[] = "Artifact for middleware evaluation";
  uint8_t* buf = aligned_alloc(4096, size ? (size + 4095) & ~4095u : 4096);
  if (!buf) {
    return 65;
  }
  for (uint32_t i = 0; i < size; ++i) {
    buf[i] = (uint8_t)kPhrase[i % (sizeof kPhrase - 1)];
  }
  for (int i = 0; i < runs; ++i) {
    rr_status_t st = rr_send("receiver", buf, size);
    if (st != RR_OK) {
      fprintf(stderr, "send %d: %s\n", i, rr_status_name(st));
      return (int)st;
    }
  }
  return 0;
}
