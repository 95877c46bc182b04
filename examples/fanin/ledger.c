// Fan-in, receiver: deliveries from every sender arrive one at a time, in arrival order; the
// source argument says who sent each one. Prints each record and a running count.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>

static unsigned long entries;

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  ++entries;
  printf("entry %lu from %.*s: %.*s\n", entries, (int)source_len, source, (int)len,
         (const char*)buf);
  fflush(stdout);
  return 0;
}
