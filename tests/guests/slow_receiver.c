// roadrunner-guest: reactor
// A receiver whose handler takes its time (sleeps $SLOW_MS milliseconds, default 10 s), so a
// test can kill its process while a sender waits for the response.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdlib.h>
#include <time.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)buf;
  (void)len;
  (void)source;
  (void)source_len;
  const char* ms_env = getenv("SLOW_MS");
  long ms = ms_env ? atol(ms_env) : 10000;
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  return 0;
}
