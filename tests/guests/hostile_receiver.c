// roadrunner-guest: reactor
// A receiver whose allocator misbehaves as $HOSTILE says: "zero" (returns 0), "bogus" (returns
// an address past the end of memory), "misaligned" (returns an odd address).
#define ROADRUNNER_RECEIVER
#define ROADRUNNER_CUSTOM_ALLOC
#include <roadrunner/guest/roadrunner.h>
#include <stdlib.h>
#include <string.h>

uint32_t rr_alloc(uint32_t len) {
  const char* mode = getenv("HOSTILE");
  if (mode && strcmp(mode, "zero") == 0) {
    return 0;
  }
  if (mode && strcmp(mode, "bogus") == 0) {
    return 0xFFFF0000u;
  }
  if (mode && strcmp(mode, "misaligned") == 0) {
    return (uint32_t)(uintptr_t)malloc(len + 16) + 1;
  }
  return (uint32_t)(uintptr_t)malloc(len);
}

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)buf;
  (void)len;
  (void)source;
  (void)source_len;
  return 0;
}
