// The benchmark's payloads and their check (C guests). Every round's payload differs: the
// paper's recipe with the round stamped into every 4 KiB page, and the hash of everything after
// the first 8 bytes stored in those 8 bytes. A receiver checks the hash, then poisons the header
// and the stamps, so that a payload which does not fully arrive next round (a skipped or stale
// copy, a flipped byte) can never pass as whole.
#ifndef BENCH_PAYLOAD_H
#define BENCH_PAYLOAD_H
#include <stdint.h>
#include <string.h>

#include "bench_hash.h"

enum { kBenchHeader = 8, kBenchPage = 4096 };

// Fills p with the paper's payload recipe: "Artifact for middleware evaluation" repeated.
static inline void bench_fill(uint8_t* p, uint32_t n) {
  static const char kPhrase[] = "Artifact for middleware evaluation";
  for (uint32_t i = 0; i < n; ++i) {
    p[i] = (uint8_t)kPhrase[i % (sizeof kPhrase - 1)];
  }
}

// Stamps round `round` into every page (8 bytes at page offset 8) and seals the payload: the
// hash of bytes 8.. goes into bytes 0..8. Returns that hash. Payloads under 16 bytes carry no
// header and are not checked.
static inline uint64_t bench_stamp(uint8_t* p, uint32_t n, uint32_t round) {
  if (n < 2 * kBenchHeader) {
    return 0;
  }
  for (uint32_t off = kBenchHeader; off + 8 <= n; off += kBenchPage) {
    uint64_t stamp = ((uint64_t)round + 1) * 0x9E3779B97F4A7C15ULL ^ off;
    memcpy(p + off, &stamp, 8);
  }
  uint64_t h = bench_hash(p + kBenchHeader, n - kBenchHeader);
  memcpy(p, &h, 8);
  return h;
}

// Whether a sealed payload arrived whole; *seal gets its header. Then poisons the header and
// the stamps, so the next round must overwrite them to pass.
static inline int bench_check_and_poison(uint8_t* p, uint32_t n, uint64_t* seal) {
  *seal = 0;
  if (n < 2 * kBenchHeader) {
    return 1;
  }
  memcpy(seal, p, 8);
  int whole = *seal == bench_hash(p + kBenchHeader, n - kBenchHeader);
  for (uint32_t off = 0; off + 8 <= n; off += (off == 0 ? kBenchHeader : kBenchPage)) {
    memset(p + off, 0xA5, 8);
  }
  return whole;
}
#endif
