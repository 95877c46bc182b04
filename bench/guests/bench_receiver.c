// Benchmark receiver: replies with the hash of each payload, so the sender can verify it
// (with BENCH_NO_HASH set, for fan-out, it only accepts the payload).
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdlib.h>

#include "bench_hash.h"

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  if (getenv("BENCH_NO_HASH") != NULL) {
    return 0;  // fan-out: the bytes arrived (the handler runs only then); no reply wanted
  }
  uint64_t h = bench_hash(buf, len);
  return rr_reply(&h, sizeof h) == RR_OK ? 0 : 1;
}
