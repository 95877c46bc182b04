// roadrunner-guest: reactor
// A hostile receiver: a payload starting with "SPIN" makes its handler loop forever; anything
// else is accepted.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <string.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  if (len >= 4 && memcmp(buf, "SPIN", 4) == 0) {
    for (volatile uint64_t i = 0;; ++i) {
    }
  }
  return 0;
}
