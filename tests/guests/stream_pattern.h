// The bytes the stream test guests send and check: each byte a function of the seed and its
// offset in the whole stream, so a chunk that is lost, repeated, reordered or stale shows.
#ifndef RR_TESTS_GUESTS_STREAM_PATTERN_H
#define RR_TESTS_GUESTS_STREAM_PATTERN_H

#include <stdint.h>
#include <stdlib.h>

static inline uint8_t stream_byte(uint32_t seed, uint64_t offset) {
  return (uint8_t)(((offset + seed) * 0x9E3779B97F4A7C15ULL) >> 56);
}

static inline uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = getenv(name);
  return v != NULL && *v != '\0' ? strtoull(v, NULL, 10) : fallback;
}

#endif
