// roadrunner-guest: reactor
// Records every delivery in /data/ledger: "SEQ\n" when the payload is intact (an 8-byte
// sequence number, then bytes derived from it), "BAD SEQ\n" when it is not. Replies with SEQ.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <string.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  if (len < 8) {
    return 1;
  }
  uint64_t seq;
  memcpy(&seq, buf, 8);
  int intact = 1;
  for (uint32_t i = 8; i < len; ++i) {
    intact &= buf[i] == (uint8_t)(seq * 131 + i);
  }
  FILE* f = fopen("/data/ledger", "a");
  if (!f) {
    return 1;
  }
  fprintf(f, intact ? "%llu\n" : "BAD %llu\n", (unsigned long long)seq);
  fclose(f);
  return rr_reply(&seq, sizeof seq) == RR_OK ? 0 : 1;
}
