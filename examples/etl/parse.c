// Chain, middle stage: parses "id,amount" lines (a header line is skipped), sends the totals to
// "store" from inside its handler, and replies with what it stored.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  unsigned long records = 0;
  long long cents = 0;
  for (uint32_t i = 0; i < len;) {
    const uint8_t* end = memchr(buf + i, '\n', len - i);
    const uint32_t line_end = end ? (uint32_t)(end - buf) : len;
    const uint8_t* comma = memchr(buf + i, ',', line_end - i);
    if (comma && comma[1] >= '0' && comma[1] <= '9') {
      char amount[32] = {0};
      const uint32_t n = line_end - (uint32_t)(comma + 1 - buf);
      memcpy(amount, comma + 1, n < sizeof amount - 1 ? n : sizeof amount - 1);
      cents += (long long)(strtod(amount, NULL) * 100.0 + 0.5);
      ++records;
    }
    i = line_end + 1;
  }
  char summary[96];
  const int n = snprintf(summary, sizeof summary, "%lu records, total %lld.%02lld\n", records,
                         cents / 100, cents % 100);
  char stored[64];
  uint32_t stored_len = 0;
  const rr_status_t st =
      rr_send_reply("store", summary, (uint32_t)n, stored, sizeof stored, &stored_len);
  if (st != RR_OK) {
    return (int32_t)st;
  }
  char reply[160];
  const int m = snprintf(reply, sizeof reply, "%.*s; store says: %.*s", n - 1, summary,
                         (int)stored_len, stored);
  return rr_reply(reply, (uint32_t)m) == RR_OK ? 0 : 1;
}
