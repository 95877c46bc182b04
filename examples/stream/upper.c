// roadrunner-guest: reactor
// The streaming pipeline's transform: upper-cases ASCII letters (as `tr a-z A-Z` does) in each
// chunk as it arrives and streams the result on to "digest", while the source reads its next
// chunk and the digest hashes the one before.
#define ROADRUNNER_STREAM_RECEIVER
#include <roadrunner/guest/roadrunner.h>

static rr_stream_t g_in;
static rr_stream_t g_out;

int32_t rr_handle_stream(rr_stream_t stream, uint32_t event, const uint8_t* chunk, uint32_t len,
                         rr_status_t status) {
  if (g_in != stream) {
    if (g_in != 0 || rr_stream_open("digest", &g_out) != RR_OK) {
      return 1;  // one stream at a time
    }
    g_in = stream;
  }
  if (event == RR_STREAM_DATA) {
    uint8_t* bytes = (uint8_t*)chunk;  // the chunk's buffer is ours until the call returns
    for (uint32_t i = 0; i < len; ++i) {
      if (bytes[i] >= 'a' && bytes[i] <= 'z') {
        bytes[i] = (uint8_t)(bytes[i] - 'a' + 'A');
      }
    }
    return rr_stream_write(g_out, bytes, len) == RR_OK ? 0 : 1;
  }
  g_in = 0;
  if (event == RR_STREAM_END) {
    return rr_stream_close(g_out) == RR_OK ? 0 : 1;
  }
  (void)rr_stream_abort(g_out, status);
  return 0;
}
