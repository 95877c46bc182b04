// Fan-out: sends one block of numbers to the "worker" group (every instance gets it), then
// tells "sink" how many results to expect. Usage: fan_source COUNT
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  uint32_t count = argc > 1 ? (uint32_t)atoi(argv[1]) : 1000000;
  uint32_t* numbers = malloc(count * sizeof *numbers);
  if (!numbers) {
    return 1;
  }
  for (uint32_t i = 0; i < count; ++i) {
    numbers[i] = i;
  }
  rr_status_t st = rr_send("worker", numbers, count * (uint32_t)sizeof *numbers);
  if (st != RR_OK) {
    fprintf(stderr, "send to worker: %s\n", rr_status_name(st));
    return 1;
  }
  uint32_t total = 0;
  st = rr_send_reply("sink", "report", 6, &total, sizeof total, NULL);
  if (st != RR_OK) {
    fprintf(stderr, "send to sink: %s\n", rr_status_name(st));
    return 1;
  }
  printf("broadcast %u numbers; sink heard from %u workers\n", count, total);
  return 0;
}
