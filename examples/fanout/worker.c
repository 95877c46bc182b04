// Fan-out worker: sums its share of the numbers (instance k of n takes every n-th) and sends
// the partial sum to "sink" (fan-in). The runner tells each instance its index and the group size
// in RR_INSTANCE and RR_INSTANCES.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  const char* k_env = getenv("RR_INSTANCE");
  const char* n_env = getenv("RR_INSTANCES");
  uint32_t k = k_env ? (uint32_t)atoi(k_env) : 0;
  uint32_t n = n_env ? (uint32_t)atoi(n_env) : 1;
  const uint32_t* numbers = (const uint32_t*)buf;
  uint64_t sum = 0;
  for (uint32_t i = k; i < len / 4; i += n) {
    sum += numbers[i];
  }
  return rr_send("sink", &sum, sizeof sum) == RR_OK ? 0 : 1;
}
