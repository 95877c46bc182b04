// Fan-in, senders: sends three records of kind $KIND to "ledger".
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const char* kind = getenv("KIND");
  for (int i = 1; i <= 3; ++i) {
    char record[64];
    const int n = snprintf(record, sizeof record, "%s %d", kind ? kind : "record", i);
    const rr_status_t st = rr_send("ledger", record, (uint32_t)n);
    if (st != RR_OK) {
      fprintf(stderr, "send to ledger: %s\n", rr_status_name(st));
      return 1;
    }
  }
  return 0;
}
