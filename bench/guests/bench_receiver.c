// Benchmark receiver: checks that each payload arrived whole (bench_payload.h), poisons what the
// next round must overwrite, and replies with the payload's seal, so the sender knows this
// round's bytes were the ones checked. A payload that is not whole fails its send
// (RR_EHANDLER). Its environment chooses the workload:
//   BENCH_NO_REPLY  (fan-out) only checks;
//   BENCH_IN_PLACE  after the check, also writes every byte of its buffer in place;
//   BENCH_NO_CHECK  (the soak, whose payloads are not sealed) only accepts;
//   BENCH_STAMPS    (fan-out) checks each page's stamp (16 bytes a page) instead of every byte,
//                   as a function that routes or samples its input would: its Nth payload must
//                   carry round N's stamps (rounds arrive in order).
// It keeps no buffer past its handler: the host may deliver a shared range's next payload into
// the same buffer, still mapped (rr_reuse_buffers).
#define ROADRUNNER_RECEIVER
#define ROADRUNNER_REUSE_BUFFERS
#include <roadrunner/guest/roadrunner.h>
#include <stdlib.h>

#include "bench_payload.h"

enum { kUnread = -1 };
static int no_check = kUnread;
static int no_reply = kUnread;
static int in_place = kUnread;
static int stamps = kUnread;
static uint32_t rounds_seen;

static int flag(int* cached, const char* name) {
  if (*cached == kUnread) {
    *cached = getenv(name) != NULL;
  }
  return *cached;
}

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  if (flag(&no_check, "BENCH_NO_CHECK")) {
    return 0;
  }
  // The buffer is this function's own memory, handed to it for the handler's use.
  uint8_t* bytes = (uint8_t*)buf;
  uint64_t seal = 0;
  if (flag(&stamps, "BENCH_STAMPS")) {
    return bench_check_stamps(bytes, len, rounds_seen++) ? 0 : 1;
  }
  if (!bench_check_and_poison(bytes, len, &seal)) {
    return 1;
  }
  if (flag(&in_place, "BENCH_IN_PLACE")) {
    bench_write_in_place(bytes, len);
  }
  if (flag(&no_reply, "BENCH_NO_REPLY")) {
    return 0;
  }
  return rr_reply(&seal, sizeof seal) == RR_OK ? 0 : 1;
}
