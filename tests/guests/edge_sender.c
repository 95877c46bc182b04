// A sender whose linear memory is exactly 4 GiB, the most wasm32 allows, and which sends from and
// receives into its very last bytes. Usage: edge_sender TARGET (a hash_receiver).
//   1. the payload is the last 4096 bytes of memory; the reply hash must match;
//   2. the reply length goes into the last 4 bytes of memory.
// Exits with the first failing step's rr_status_t + 10 * step, 100 + step if a reply was wrong,
// or 0.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <string.h>

#include "attack.h"

#define PAGES_4GIB 65536u

int main(int argc, char** argv) {
  if (argc < 2) {
    return 64;
  }
  const unsigned long have = __builtin_wasm_memory_size(0);
  if (have < PAGES_4GIB && __builtin_wasm_memory_grow(0, PAGES_4GIB - have) == (unsigned long)-1) {
    puts("cannot grow memory to 4 GiB");
    return 65;
  }
  const uint32_t kLen = 4096;
  const uint32_t payload = 0u - kLen;   // the last 4096 bytes
  const uint32_t reply = payload - 64;  // 8 bytes below them
  const uint32_t reply_len = payload - 32;
  uint8_t* p = (uint8_t*)(uintptr_t)payload;
  for (uint32_t i = 0; i < kLen; ++i) {
    p[i] = (uint8_t)(i * 13 + 7);
  }
  const char* target = argv[1];
  const int32_t tlen = (int32_t)strlen(target);
  rr_status_t st = (rr_status_t)rr_raw_send((int32_t)(uintptr_t)target, tlen, (int32_t)payload,
                                            (int32_t)kLen, (int32_t)reply, 8, (int32_t)reply_len);
  printf("payload in the last 4096 bytes: status %u %s\n", st, rr_status_name(st));
  if (st != RR_OK) {
    return 10 + (int)st;
  }
  uint64_t got = 0;
  memcpy(&got, (const void*)(uintptr_t)reply, sizeof got);
  if (got != attackHash(p, kLen) || *(const uint32_t*)(uintptr_t)reply_len != 8) {
    return 101;
  }
  const uint32_t last4 = 0u - 4;  // reply_len_out in the last 4 bytes
  st = (rr_status_t)rr_raw_send((int32_t)(uintptr_t)target, tlen, (int32_t)(payload - 8192), 100,
                                (int32_t)reply, 8, (int32_t)last4);
  printf("reply length in the last 4 bytes: status %u %s\n", st, rr_status_name(st));
  if (st != RR_OK) {
    return 20 + (int)st;
  }
  return *(const uint32_t*)(uintptr_t)last4 == 8 ? 0 : 102;
}
