// Benchmark receiver: checks that each payload arrived whole (bench_hash.h), poisons what the
// next round must overwrite, and replies with the payload's seal, so the sender knows this
// round's bytes were the ones checked. A payload that is not whole fails its send
// (RR_EHANDLER). With BENCH_NO_REPLY set (fan-out) it only checks; with BENCH_NO_CHECK (the
// soak, whose payloads are not sealed) it only accepts.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdlib.h>

#include "bench_payload.h"

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  if (getenv("BENCH_NO_CHECK") != NULL) {
    return 0;
  }
  uint64_t seal = 0;
  // The buffer is this function's own memory, handed to it for the handler's use.
  if (!bench_check_and_poison((uint8_t*)buf, len, &seal)) {
    return 1;
  }
  if (getenv("BENCH_NO_REPLY") != NULL) {
    return 0;
  }
  return rr_reply(&seal, sizeof seal) == RR_OK ? 0 : 1;
}
