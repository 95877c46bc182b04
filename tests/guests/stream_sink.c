// roadrunner-guest: reactor
// Takes streams and checks every byte against stream_pattern.h ($SINK_SEED, default 1), each
// byte XORed with $SINK_XOR (default 0) as a relay left it. At the end, the byte count must be
// $SINK_EXPECT when that is set. A wrong byte or count fails the stream (the sender's close gets
// RR_EHANDLER). Counts chunks, ends and aborts (add_counter) and prints each end and abort.
// $SINK_SLOW_MS sleeps that long per chunk; $SINK_FAIL_AT / $SINK_TRAP_AT fail or trap at that
// chunk (counted from 1) of a stream. Its own rr_alloc and rr_release count the buffers the host
// asks for ("allocs") and those it still holds when a stream ends ("held_at_end"); with
// $SINK_TRAP_IN_RELEASE=1, rr_release traps.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "stream_pattern.h"

struct sink_stream {
  rr_stream_t id;
  uint64_t offset;
  uint64_t chunks;
  int bad;
};

static struct sink_stream g_streams[RR_MAX_STREAMS_IN];
static uint32_t g_held;  // buffers from rr_alloc not yet released

RR_EXPORT(RR_EXPORT_ALLOC) uint32_t rr_alloc(uint32_t len) {
  const uint32_t rounded = (len + RR_PAGE_SIZE - 1) & ~(RR_PAGE_SIZE - 1);
  void* buf = len == 0 || rounded < len ? NULL : aligned_alloc(RR_PAGE_SIZE, rounded);
  if (buf != NULL) {
    ++g_held;
    (void)rr_count("allocs", 1);
  }
  return (uint32_t)(uintptr_t)buf;
}

RR_EXPORT(RR_EXPORT_RELEASE) void rr_release(uint32_t buf, uint32_t len) {
  (void)len;
  if (env_u64("SINK_TRAP_IN_RELEASE", 0) == 1) {
    __builtin_trap();
  }
  --g_held;
  free((void*)(uintptr_t)buf);
}

int32_t rr_handle_stream(rr_stream_t stream, uint32_t event, const uint8_t* chunk, uint32_t len,
                         rr_status_t status);

RR_EXPORT(RR_EXPORT_ON_STREAM)
int32_t rr_on_stream(uint32_t stream, uint32_t event, uint32_t buf, uint32_t len, uint32_t status) {
  return rr_handle_stream(stream, event, (const uint8_t*)(uintptr_t)buf, len, status);
}

static struct sink_stream* find(rr_stream_t id) {
  struct sink_stream* free_slot = NULL;
  for (uint32_t i = 0; i < RR_MAX_STREAMS_IN; ++i) {
    if (g_streams[i].id == id) {
      return &g_streams[i];
    }
    if (g_streams[i].id == 0 && free_slot == NULL) {
      free_slot = &g_streams[i];
    }
  }
  if (free_slot != NULL) {
    free_slot->id = id;
    free_slot->offset = 0;
    free_slot->chunks = 0;
    free_slot->bad = 0;
  }
  return free_slot;
}

int32_t rr_handle_stream(rr_stream_t stream, uint32_t event, const uint8_t* chunk, uint32_t len,
                         rr_status_t status) {
  struct sink_stream* s = find(stream);
  if (s == NULL) {
    return 1;
  }
  if (event == RR_STREAM_DATA) {
    const uint32_t seed = (uint32_t)env_u64("SINK_SEED", 1);
    const uint8_t x = (uint8_t)env_u64("SINK_XOR", 0);
    ++s->chunks;
    (void)rr_count("chunks", 1);
    if (s->chunks == env_u64("SINK_FAIL_AT", 0)) {
      return 5;
    }
    if (s->chunks == env_u64("SINK_TRAP_AT", 0)) {
      __builtin_trap();
    }
    for (uint32_t j = 0; j < len; ++j) {
      if ((uint8_t)(chunk[j] ^ x) != stream_byte(seed, s->offset + j)) {
        s->bad = 1;
      }
    }
    s->offset += len;
    const uint64_t slow = env_u64("SINK_SLOW_MS", 0);
    if (slow > 0) {
      struct timespec t = {.tv_sec = (time_t)(slow / 1000),
                           .tv_nsec = (long)(slow % 1000) * 1000000};
      nanosleep(&t, NULL);
    }
    return s->bad ? 4 : 0;
  }
  (void)rr_count("held_at_end", g_held);
  const uint64_t expect = env_u64("SINK_EXPECT", s->offset);
  int32_t rc = 0;
  if (event == RR_STREAM_END) {
    rc = s->bad || s->offset != expect ? 4 : 0;
    (void)rr_count(rc == 0 ? "ends" : "bad_ends", 1);
    printf("sink end chunks=%llu bytes=%llu %s\n", (unsigned long long)s->chunks,
           (unsigned long long)s->offset, rc == 0 ? "intact" : "DAMAGED");
  } else {
    (void)rr_count("aborts", 1);
    printf("sink abort status=%u chunks=%llu bytes=%llu\n", (unsigned)status,
           (unsigned long long)s->chunks, (unsigned long long)s->offset);
  }
  fflush(stdout);
  s->id = 0;
  return rc;
}
