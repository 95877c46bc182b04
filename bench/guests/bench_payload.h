// The benchmark's payloads and their check (C guests and native baselines). Every round's payload
// differs: the paper's recipe with the round stamped into every 4 KiB page, and the hash of
// everything after the header stored in the header. Stamps and header are hexadecimal text, so a
// payload stays valid UTF-8 (the raw-bytes HTTP baselines validate it, as the paper's did). A
// receiver checks the hash, then poisons the header: a payload that does not arrive next round
// (a skipped copy, a stale buffer) keeps the poisoned header, and one that arrives in part keeps
// the last round's stamps on the pages it missed, which the new seal does not hash to. Only the
// first page is written, so a receiver whose buffer is a private mapping (kernel-memfd) copies
// one page on write, not all of them.
#ifndef BENCH_PAYLOAD_H
#define BENCH_PAYLOAD_H
#include <stdint.h>
#include <string.h>

#include "bench_hash.h"

// Native baselines and limits include this header from C++, which wants its own casts.
#ifdef __cplusplus
#define BENCH_CAST(type, value) static_cast<type>(value)
#else
#define BENCH_CAST(type, value) ((type)(value))
#endif

// The header and each stamp: 16 hexadecimal digits of a 64-bit value.
enum { kBenchHeader = 16, kBenchPage = 4096 };

// Fills p with the paper's payload recipe: "Artifact for middleware evaluation" repeated.
static inline void bench_fill(uint8_t* p, uint32_t n) {
  static const char kPhrase[] = "Artifact for middleware evaluation";
  for (uint32_t i = 0; i < n; ++i) {
    p[i] = BENCH_CAST(uint8_t, kPhrase[i % (sizeof kPhrase - 1)]);
  }
}

static inline void bench_put_hex(uint8_t* p, uint64_t v) {
  static const char kDigits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i, v >>= 4) {
    p[i] = BENCH_CAST(uint8_t, kDigits[v & 15]);
  }
}

static inline uint64_t bench_get_hex(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 16; ++i) {
    const uint8_t c = p[i];
    v = (v << 4) | (BENCH_CAST(uint64_t, c >= 'a' ? c - 'a' + 10 : c - '0') & 15);
  }
  return v;
}

// Stamps round `round` into every page (at page offset 16, and at 16 in the first page, after
// the header) and seals the payload: the hash of bytes 16.. goes into bytes 0..16. Returns that
// hash. Payloads under 32 bytes carry no header and are not checked.
static inline uint64_t bench_stamp(uint8_t* p, uint32_t n, uint32_t round) {
  if (n < 2 * kBenchHeader) {
    return 0;
  }
  for (uint32_t off = kBenchHeader; off + kBenchHeader <= n; off += kBenchPage) {
    bench_put_hex(p + off, (BENCH_CAST(uint64_t, round) + 1) * 0x9E3779B97F4A7C15ULL ^ off);
  }
  const uint64_t h = bench_hash(p + kBenchHeader, n - kBenchHeader);
  bench_put_hex(p, h);
  return h;
}

// Whether a sealed payload arrived whole; *seal gets its header. Does not change the payload.
static inline int bench_check(const uint8_t* p, uint32_t n, uint64_t* seal) {
  *seal = 0;
  if (n < 2 * kBenchHeader) {
    return 1;
  }
  *seal = bench_get_hex(p);
  return *seal == bench_hash(p + kBenchHeader, n - kBenchHeader);
}

// Whether every page of a payload carries round `round`'s stamp (bench_stamp): reads 16 bytes per
// page, not every byte, as a function that routes or samples its input would, so each page is
// touched once. A page left from another round (a skipped, stale or partial delivery) carries
// another round's stamp. Does not change the payload.
static inline int bench_check_stamps(const uint8_t* p, uint32_t n, uint32_t round) {
  if (n < 2 * kBenchHeader) {
    return 1;
  }
  for (uint32_t off = kBenchHeader; off + kBenchHeader <= n; off += kBenchPage) {
    if (bench_get_hex(p + off) !=
        ((BENCH_CAST(uint64_t, round) + 1) * 0x9E3779B97F4A7C15ULL ^ off)) {
      return 0;
    }
  }
  return 1;
}

// Poisons the header, so the next round must overwrite it to pass.
static inline void bench_poison(uint8_t* p, uint32_t n) {
  if (n >= 2 * kBenchHeader) {
    memset(p, 0xA5, kBenchHeader);
  }
}

static inline int bench_check_and_poison(uint8_t* p, uint32_t n, uint64_t* seal) {
  const int whole = bench_check(p, n, seal);
  bench_poison(p, n);
  return whole;
}

// A receiver that transforms its payload in place: writes every byte (ASCII case flip), the way
// a function that edits its input before passing it on touches every page.
static inline void bench_write_in_place(uint8_t* p, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    p[i] ^= 0x20;
  }
}
#endif
