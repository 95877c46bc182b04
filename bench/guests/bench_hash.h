#ifndef BENCH_HASH_H
#define BENCH_HASH_H
#include <stdint.h>
#include <string.h>

// A fast 64-bit hash over 8-byte words (multiply-xorshift), so verifying 500 MiB costs little.
static inline uint64_t bench_hash(const uint8_t* p, uint32_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
    h ^= h >> 29;
  }
  for (; i < n; ++i) {
    h = (h ^ p[i]) * 0x100000001B3ULL;
  }
  return h;
}
#endif
