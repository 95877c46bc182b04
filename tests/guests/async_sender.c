// Sends COUNT messages of SIZE bytes to TARGET with send_async, keeping up to RR_MAX_IN_FLIGHT
// outstanding (one buffer each), and checks every status from send_wait:
//   async_sender TARGET COUNT SIZE [MODE]
// Each payload is its index (8 bytes) and then stream_pattern.h's bytes for that index.
// MODE "limits": also checks RR_ENOMEM for one send past the limit and RR_EINVAL for tickets that
// are not outstanding. "trap": traps with every slot in flight (the host waits for them before
// the instance goes). "overlap": with a receiver slower than 25 ms per message, the first
// RR_MAX_IN_FLIGHT starts must return within 25 ms in all. Exits 0 when all is as it should be.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stream_pattern.h"

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000U + (uint64_t)t.tv_nsec / 1000000U;
}

static void fill(uint8_t* buf, uint32_t size, uint64_t index) {
  memcpy(buf, &index, sizeof index);
  for (uint32_t j = 8; j < size; ++j) {
    buf[j] = stream_byte((uint32_t)index, j);
  }
}

int main(int argc, char** argv) {
  if (argc < 4) {
    return 2;
  }
  const char* target = argv[1];
  const uint64_t count = strtoull(argv[2], NULL, 10);
  const uint32_t size = (uint32_t)strtoul(argv[3], NULL, 10);
  const char* mode = argc > 4 ? argv[4] : "";
  uint8_t* bufs[RR_MAX_IN_FLIGHT];
  uint32_t tickets[RR_MAX_IN_FLIGHT] = {0};
  for (uint32_t s = 0; s < RR_MAX_IN_FLIGHT; ++s) {
    bufs[s] = malloc(size < 8 ? 8 : size);
  }
  const uint64_t started = now_ms();
  for (uint64_t i = 0; i < count; ++i) {
    const uint32_t slot = (uint32_t)(i % RR_MAX_IN_FLIGHT);
    if (tickets[slot] != 0) {  // the slot's last send must be done before its buffer changes
      const rr_status_t st = rr_send_wait(tickets[slot]);
      if (st != RR_OK) {
        printf("async send %llu: %s\n", (unsigned long long)(i - RR_MAX_IN_FLIGHT),
               rr_status_name(st));
        return 1;
      }
    }
    fill(bufs[slot], size, i);
    const rr_status_t st = rr_send_async(target, bufs[slot], size, &tickets[slot]);
    if (st != RR_OK) {
      printf("async start %llu: %s\n", (unsigned long long)i, rr_status_name(st));
      return 1;
    }
    if (i + 1 == RR_MAX_IN_FLIGHT) {
      if (strcmp(mode, "overlap") == 0 && now_ms() - started >= 25) {
        printf("the first starts took %llu ms\n", (unsigned long long)(now_ms() - started));
        return 3;
      }
      if (strcmp(mode, "limits") == 0) {
        uint32_t extra = 0;
        if (rr_send_async(target, bufs[0], size, &extra) != RR_ENOMEM ||
            rr_send_wait(12345) != RR_EINVAL || rr_send_wait(0) != RR_EINVAL) {
          printf("limits not enforced\n");
          return 4;
        }
      }
      if (strcmp(mode, "trap") == 0) {
        __builtin_trap();
      }
    }
  }
  for (uint32_t s = 0; s < RR_MAX_IN_FLIGHT; ++s) {
    if (tickets[s] != 0) {
      const rr_status_t st = rr_send_wait(tickets[s]);
      if (st != RR_OK) {
        printf("async send: %s\n", rr_status_name(st));
        return 1;
      }
      if (strcmp(mode, "limits") == 0 && rr_send_wait(tickets[s]) != RR_EINVAL) {
        printf("a ticket waited twice\n");
        return 4;
      }
    }
  }
  printf("async sends: %llu ok\n", (unsigned long long)count);
  return 0;
}
