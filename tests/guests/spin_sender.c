// Sends "SPIN" (the spin receiver never returns from it), then "fine". Exit 0 when the first
// send timed out and the second was served by the replaced instance.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    return 64;
  }
  rr_status_t first = rr_send(argv[1], "SPIN", 4);
  rr_status_t second = rr_send(argv[1], "fine", 4);
  printf("first %s, second %s\n", rr_status_name(first), rr_status_name(second));
  return first == RR_ETIMEDOUT && second == RR_OK ? 0 : 1;
}
