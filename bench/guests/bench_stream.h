#ifndef BENCH_STREAM_H
#define BENCH_STREAM_H
// The stream workload's stages (roadrunner bench --workload stream), shared by its guests and by
// the harness, which computes the hash a run must end with. All work is on 8-byte words.
//   producer:  word i of the stream = bench_stream_word(i, rounds)
//   transform: each word w -> bench_stream_mix(w, rounds) ^ BENCH_STREAM_XOR
//   sink:      h = bench_stream_fold(h, bench_stream_mix(w, rounds)) over the words in order
// `rounds` sets each stage's real work per word (0: almost none, for the throughput rows).
#include <stdint.h>

#define BENCH_STREAM_XOR 0x5A5A5A5A5A5A5A5AULL
#define BENCH_STREAM_HASH0 0x9E3779B97F4A7C15ULL

static inline uint64_t bench_stream_mix(uint64_t w, uint32_t rounds) {
  for (uint32_t r = 0; r < rounds; ++r) {
    w ^= w >> 31;
    w *= 0xBF58476D1CE4E5B9ULL;
    w ^= w >> 27;
  }
  return w;
}

static inline uint64_t bench_stream_word(uint64_t index, uint32_t rounds) {
  return bench_stream_mix(index * 0x9E3779B97F4A7C15ULL + 1, rounds);
}

static inline uint64_t bench_stream_fold(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
  return h ^ (h >> 29);
}

/* The hash the sink ends with for a stream of `words` words. */
static inline uint64_t bench_stream_expected(uint64_t words, uint32_t rounds) {
  uint64_t h = BENCH_STREAM_HASH0;
  for (uint64_t i = 0; i < words; ++i) {
    const uint64_t t = bench_stream_mix(bench_stream_word(i, rounds), rounds) ^ BENCH_STREAM_XOR;
    h = bench_stream_fold(h, bench_stream_mix(t, rounds));
  }
  return h;
}
#endif
