// roadrunner-guest: reactor
// Replies with the FNV-1a hash of every payload, then poisons the buffer. A payload starting
// with "TRAP" traps instead. A payload of RR_HUGE_PAGE_SIZE or more in a buffer from the SDK's
// rr_alloc not aligned to it fails the handler (2): its pages could not move whole.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <string.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  if (len >= 4 && memcmp(buf, "TRAP", 4) == 0) {
    __builtin_trap();
  }
  if (len >= RR_HUGE_PAGE_SIZE && (uintptr_t)buf % RR_HUGE_PAGE_SIZE != 0) {
    return 2;
  }
  uint64_t h = 1469598103934665603ULL;
  for (uint32_t i = 0; i < len; ++i) {
    h = (h ^ buf[i]) * 1099511628211ULL;
  }
  // Poisoned once read: a later payload that does not fully arrive cannot hash as this one did.
  memset((void*)buf, 0xA5, len);
  return rr_reply(&h, sizeof h) == RR_OK ? 0 : 1;
}
