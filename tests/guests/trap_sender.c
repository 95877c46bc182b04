// Sends "TRAP" (the hash receiver traps on it), then a normal payload that must still be
// served. Exit 0 when the first send fails with RR_ERECEIVER_FAILED and the second succeeds.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    return 64;
  }
  rr_status_t first = rr_send(argv[1], "TRAP", 4);
  uint64_t h = 0;
  rr_status_t second = rr_send_reply(argv[1], "fine", 4, &h, sizeof h, NULL);
  printf("first %s, second %s\n", rr_status_name(first), rr_status_name(second));
  return first == RR_ERECEIVER_FAILED && second == RR_OK ? 0 : 1;
}
