// roadrunner-guest: reactor
// Sends an empty message, with no reply wanted, to the function the payload names, and replies
// with the status that send returned (a little-endian u32). Tests use it to see how this
// function's own host routes a name, wherever the function runs.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  static const uint8_t kNothing = 0;
  const rr_status_t st = (rr_status_t)rr_raw_send((int32_t)(uintptr_t)buf, (int32_t)len,
                                                  (int32_t)(uintptr_t)&kNothing, 0, 0, 0, 0);
  return rr_reply(&st, sizeof st) == RR_OK ? 0 : 1;
}
