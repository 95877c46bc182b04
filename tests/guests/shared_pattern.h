// The payload shared_sender sends and shared_receiver checks: every byte depends on the seed,
// the round and its position, and the first 16 bytes carry the seed and the round, so a
// receiver can check a payload with no other message.
#ifndef RR_TEST_SHARED_PATTERN_H
#define RR_TEST_SHARED_PATTERN_H

#include <stdint.h>
#include <string.h>

static inline uint8_t pattern_byte(uint64_t seed, uint32_t round, uint32_t i) {
  uint64_t x = (seed ^ ((uint64_t)round << 32 | i)) * 0x9E3779B97F4A7C15ULL;
  return (uint8_t)(x >> 56);
}

static inline void fill(uint8_t* p, uint32_t n, uint64_t seed, uint32_t round) {
  for (uint32_t i = 0; i < n; ++i) {
    p[i] = pattern_byte(seed, round, i);
  }
  if (n >= 16) {
    memcpy(p, &seed, 8);
    uint64_t r = round;
    memcpy(p + 8, &r, 8);
  }
}

// Whether p holds the payload fill() made for (seed, round).
static inline int matches(const uint8_t* p, uint32_t n, uint64_t seed, uint32_t round) {
  uint64_t head[2] = {seed, round};
  if (n >= 16 && memcmp(p, head, 16) != 0) {
    return 0;
  }
  for (uint32_t i = n >= 16 ? 16 : 0; i < n; ++i) {
    if (p[i] != pattern_byte(seed, round, i)) {
      return 0;
    }
  }
  return 1;
}

#endif
