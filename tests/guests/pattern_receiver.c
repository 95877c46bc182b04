// roadrunner-guest: reactor
// Checks each message against async_sender's recipe (its index, then stream_pattern.h's bytes
// for that index) and fails the handler (3) on any other byte; counts "ok" messages. Sleeps
// $SLOW_MS per message when set; with $PRINT set, prints `got index=I len=L` for each message it
// took.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "stream_pattern.h"

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  if (len < 8) {
    return 3;
  }
  uint64_t index = 0;
  memcpy(&index, buf, sizeof index);
  for (uint32_t j = 8; j < len; ++j) {
    if (buf[j] != stream_byte((uint32_t)index, j)) {
      return 3;
    }
  }
  const uint64_t slow = env_u64("SLOW_MS", 0);
  if (slow > 0) {
    struct timespec t = {.tv_sec = 0, .tv_nsec = (long)slow * 1000000};
    nanosleep(&t, NULL);
  }
  (void)rr_count("ok", 1);
  if (env_u64("PRINT", 0) != 0) {
    printf("got index=%llu len=%u\n", (unsigned long long)index, (unsigned)len);
    fflush(stdout); /* a receiver never exits, so nothing else flushes it */
  }
  return 0;
}
