// roadrunner-guest: reactor
// Keeps the last payload it was given (freeing the one before) and replies with its FNV-1a hash;
// "CHECK" replies with the hash of the kept payload as it reads now. It never writes a payload,
// so a hash that changes means another function's writes reached its memory. Its buffers come
// from the SDK's rr_move_buffer, aligned as the SDK's rr_alloc aligns them; a payload of
// RR_HUGE_PAGE_SIZE or more in a buffer not aligned to it fails the handler (2), since its pages
// could not move whole.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t* kept;
static uint32_t kept_len;

RR_EXPORT(RR_EXPORT_ALLOC) uint32_t rr_alloc(uint32_t len) {
  return (uint32_t)(uintptr_t)rr_move_buffer(len ? len : 1);
}

static uint64_t fnv1a(const uint8_t* p, uint32_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (uint32_t i = 0; i < n; ++i) {
    h = (h ^ p[i]) * 1099511628211ULL;
  }
  return h;
}

RR_EXPORT(RR_EXPORT_RELEASE) void rr_release(uint32_t buf, uint32_t len) {
  (void)len;
  if ((const uint8_t*)(uintptr_t)buf != kept) {
    free((void*)(uintptr_t)buf);
  }
}

RR_EXPORT(RR_EXPORT_ON_MESSAGE)
int32_t rr_on_message(uint32_t buf, uint32_t len, uint32_t source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  const uint8_t* p = (const uint8_t*)(uintptr_t)buf;
  if (len >= RR_HUGE_PAGE_SIZE && buf % RR_HUGE_PAGE_SIZE != 0) {
    return 2;
  }
  uint64_t h = 0;
  if (len == 5 && memcmp(p, "CHECK", 5) == 0) {
    h = fnv1a(kept, kept_len);
  } else {
    free((void*)kept);
    kept = p;
    kept_len = len;
    h = fnv1a(p, len);
  }
  return rr_reply(&h, sizeof h) == RR_OK ? 0 : 1;
}

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)buf;
  (void)len;
  (void)source;
  (void)source_len;
  return 0;  // unused: rr_on_message above is the handler
}
