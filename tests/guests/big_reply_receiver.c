// roadrunner-guest: reactor
// Replies with as many bytes as the payload's first 4 bytes (a little-endian u32) ask for, byte i
// being (uint8_t)(i * 7 + 1). Returns 0 whether or not the reply fit, so a reply that did not
// fit reaches the sender as RR_EREPLY_TOO_LARGE. Returns 1 on a payload shorter than 4 bytes or
// when it cannot allocate the reply.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdlib.h>
#include <string.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  if (len < 4) {
    return 1;
  }
  uint32_t n;
  memcpy(&n, buf, 4);
  uint8_t* out = malloc(n ? n : 1);
  if (!out) {
    return 1;
  }
  for (uint32_t i = 0; i < n; ++i) {
    out[i] = (uint8_t)(i * 7 + 1);
  }
  (void)rr_reply(out, n);
  free(out);
  return 0;
}
