// A sending function for transfer tests. Usage:
//   sender TARGET SIZE [COUNT]   send SIZE patterned bytes COUNT times; the reply must be the
//                                FNV-1a hash of the payload (hash_receiver, relay)
//   sender TARGET oob            pass a payload pointer past the end of memory
//   sender TARGET oob-name       pass a target name pointer past the end of memory
// Exit status: the last rr_status_t (0 ok), 100 if a reply hash did not match.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const uint8_t* p, uint32_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (uint32_t i = 0; i < n; ++i) {
    h = (h ^ p[i]) * 1099511628211ULL;
  }
  return h;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    return 64;
  }
  const char* target = argv[1];
  if (strcmp(argv[2], "oob") == 0) {
    rr_status_t st = (rr_status_t)rr_raw_send((int32_t)(uintptr_t)target, (int32_t)strlen(target),
                                              (int32_t)0xFFFFFF00u, 4096, 0, 0, 0);
    printf("status %u %s\n", st, rr_status_name(st));
    return (int)st;
  }
  if (strcmp(argv[2], "oob-name") == 0) {
    rr_status_t st = (rr_status_t)rr_raw_send((int32_t)0xFFFFFFF0u, 64, 0, 0, 0, 0, 0);
    printf("status %u %s\n", st, rr_status_name(st));
    return (int)st;
  }
  uint32_t size = (uint32_t)strtoul(argv[2], NULL, 10);
  int count = argc > 3 ? atoi(argv[3]) : 1;
  uint8_t* buf = malloc(size ? size : 1);
  if (!buf) {
    return 65;
  }
  for (uint32_t i = 0; i < size; ++i) {
    buf[i] = (uint8_t)(i * 7 + (i >> 12));
  }
  rr_status_t st = RR_OK;
  for (int i = 0; i < count; ++i) {
    // Every round sends different bytes (the round in the first byte of each page), so a
    // receiver left with an earlier round's payload cannot answer with the right hash.
    for (uint32_t at = 0; at < size; at += 4096) {
      buf[at] = (uint8_t)(i * 13 + 1 + (at >> 12));
    }
    const uint64_t want = fnv1a(buf, size);
    uint64_t got = 0;
    uint32_t got_len = 0;
    st = rr_send_reply(target, buf, size, &got, sizeof got, &got_len);
    if (st != RR_OK) {
      break;
    }
    if (got_len != sizeof got || got != want) {
      printf("reply hash mismatch\n");
      return 100;
    }
  }
  printf("status %u %s\n", st, rr_status_name(st));
  return (int)st;
}
