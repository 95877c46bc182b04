// Fan-in: adds up the partial sums from the workers; replies with how many arrived when the
// source asks for its "report".
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <string.h>

static uint64_t total;
static uint32_t parts;

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  if (len == 6 && memcmp(buf, "report", 6) == 0) {
    printf("sum of all parts: %llu from %u workers\n", (unsigned long long)total, parts);
    return rr_reply(&parts, sizeof parts) == RR_OK ? 0 : 1;
  }
  if (len != sizeof(uint64_t)) {
    fprintf(stderr, "unexpected %u bytes from %.*s\n", len, (int)source_len, source);
    return 1;
  }
  uint64_t part;
  memcpy(&part, buf, sizeof part);
  total += part;
  ++parts;
  return 0;
}
