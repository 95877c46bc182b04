// roadrunner-guest: reactor
// The stream workload's transform or sink (bench/guests/bench_stream.h), by $STAGE:
//   transform: each word mixed ($ROUNDS) and XORed, then on to $NEXT (a stream per stream, or one
//              send per message);
//   sink:      folds every word into a hash and checks it against $EXPECT_HASH (16 hex digits)
//              at the end, and the byte count against $EXPECT_BYTES; with $STAMPS=1 it checks only
//              each chunk's index stamp (bench_stream_producer's "stamps"). A mismatch fails the
//              handler, which the producer sees as its final status.
// Takes streams (rr_on_stream) and whole messages (rr_on_message) alike.
#define ROADRUNNER_RECEIVER
#define ROADRUNNER_STREAM_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdlib.h>
#include <string.h>

#include "bench_stream.h"

struct stage_stream {
  rr_stream_t in;
  rr_stream_t out;
  uint64_t hash;
  uint64_t bytes;
  uint64_t chunks;
};

static struct stage_stream g_streams[RR_MAX_STREAMS];
static int g_ready;
static int g_sink;
static int g_stamps;
static uint32_t g_rounds;
static const char* g_next;

static void setup(void) {
  if (!g_ready) {
    const char* stage = getenv("STAGE");
    const char* rounds = getenv("ROUNDS");
    const char* stamps = getenv("STAMPS");
    g_sink = stage != NULL && strcmp(stage, "sink") == 0;
    g_stamps = stamps != NULL && strcmp(stamps, "1") == 0;
    g_rounds = rounds != NULL ? (uint32_t)strtoul(rounds, NULL, 10) : 0;
    g_next = getenv("NEXT");
    g_ready = 1;
  }
}

static void transform(uint8_t* buf, uint32_t len) {
  for (uint32_t i = 0; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, buf + i, 8);
    w = bench_stream_mix(w, g_rounds) ^ BENCH_STREAM_XOR;
    memcpy(buf + i, &w, 8);
  }
}

static uint64_t fold(uint64_t h, const uint8_t* buf, uint32_t len) {
  for (uint32_t i = 0; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, buf + i, 8);
    h = bench_stream_fold(h, bench_stream_mix(w, g_rounds));
  }
  return h;
}

static int32_t verdict(uint64_t hash, uint64_t bytes) {
  const char* want_hash = getenv("EXPECT_HASH");
  const char* want_bytes = getenv("EXPECT_BYTES");
  if (want_bytes != NULL && strtoull(want_bytes, NULL, 10) != bytes) {
    return 3;
  }
  if (!g_stamps && want_hash != NULL && strtoull(want_hash, NULL, 16) != hash) {
    return 4;
  }
  return 0;
}

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  setup();
  if (g_sink) {
    return verdict(fold(BENCH_STREAM_HASH0, buf, len), len);
  }
  transform((uint8_t*)buf, len);  // the receiver's own buffer, released after this call
  return rr_send(g_next != NULL ? g_next : "", buf, len) == RR_OK ? 0 : 5;
}

static struct stage_stream* find(rr_stream_t in) {
  for (uint32_t i = 0; i < RR_MAX_STREAMS; ++i) {
    if (g_streams[i].in == in) {
      return &g_streams[i];
    }
  }
  for (uint32_t i = 0; i < RR_MAX_STREAMS; ++i) {
    if (g_streams[i].in == 0) {
      memset(&g_streams[i], 0, sizeof g_streams[i]);
      if (!g_sink && rr_stream_open(g_next != NULL ? g_next : "", &g_streams[i].out) != RR_OK) {
        return NULL;
      }
      g_streams[i].in = in;
      g_streams[i].hash = BENCH_STREAM_HASH0;
      return &g_streams[i];
    }
  }
  return NULL;
}

int32_t rr_handle_stream(rr_stream_t stream, uint32_t event, const uint8_t* chunk, uint32_t len,
                         rr_status_t status) {
  setup();
  struct stage_stream* s = find(stream);
  if (s == NULL) {
    return 1;
  }
  if (event == RR_STREAM_DATA) {
    s->bytes += len;
    if (!g_sink) {
      transform((uint8_t*)chunk, len);
      return rr_stream_write(s->out, chunk, len) == RR_OK ? 0 : 5;
    }
    if (g_stamps) {
      uint64_t stamp = 0;
      if (len >= 8) {
        memcpy(&stamp, chunk, 8);
      }
      return len >= 8 && stamp != s->chunks++ ? 6 : 0;
    }
    s->hash = fold(s->hash, chunk, len);
    return 0;
  }
  struct stage_stream done = *s;
  s->in = 0;
  /* The linear memory's size now is its peak: a wasm memory never shrinks. */
  (void)rr_count("memory_kib", (uint32_t)(__builtin_wasm_memory_size(0) * 64U));
  if (!g_sink) {
    if (event == RR_STREAM_END) {
      return rr_stream_close(done.out) == RR_OK ? 0 : 5;
    }
    (void)rr_stream_abort(done.out, status);
    return 0;
  }
  return event == RR_STREAM_END ? verdict(done.hash, done.bytes) : 0;
}
