// roadrunner-guest: reactor
// Forwards each stream it takes to $RELAY_TO as a stream of its own, every byte XORed with
// $RELAY_XOR (default 90): the end closes the downstream stream (its failure fails this one), an
// abort aborts it with the same status.
#define ROADRUNNER_STREAM_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdlib.h>

#include "stream_pattern.h"

struct relay_stream {
  rr_stream_t in;
  rr_stream_t out;
};

static struct relay_stream g_streams[RR_MAX_STREAMS];
static uint8_t* g_work;
static uint32_t g_work_len;

static struct relay_stream* find(rr_stream_t in) {
  for (uint32_t i = 0; i < RR_MAX_STREAMS; ++i) {
    if (g_streams[i].in == in) {
      return &g_streams[i];
    }
  }
  for (uint32_t i = 0; i < RR_MAX_STREAMS; ++i) {
    if (g_streams[i].in == 0) {
      const char* to = getenv("RELAY_TO");
      if (rr_stream_open(to ? to : "", &g_streams[i].out) != RR_OK) {
        return NULL;
      }
      g_streams[i].in = in;
      return &g_streams[i];
    }
  }
  return NULL;
}

int32_t rr_handle_stream(rr_stream_t stream, uint32_t event, const uint8_t* chunk, uint32_t len,
                         rr_status_t status) {
  struct relay_stream* r = find(stream);
  if (r == NULL) {
    return 1;
  }
  if (event == RR_STREAM_DATA) {
    if (len > g_work_len) {
      free(g_work);
      g_work = malloc(len);
      g_work_len = g_work != NULL ? len : 0;
      if (g_work == NULL) {
        return 2;
      }
    }
    const uint8_t x = (uint8_t)env_u64("RELAY_XOR", 90);
    for (uint32_t j = 0; j < len; ++j) {
      g_work[j] = chunk[j] ^ x;
    }
    return rr_stream_write(r->out, g_work, len) == RR_OK ? 0 : 3;
  }
  const rr_stream_t out = r->out;
  r->in = 0;
  if (event == RR_STREAM_END) {
    return rr_stream_close(out) == RR_OK ? 0 : 3;
  }
  (void)rr_stream_abort(out, status);
  return 0;
}
