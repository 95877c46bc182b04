// The stream workload's producer (bench/guests/bench_stream.h):
//   bench_stream_producer MODE TARGET TOTAL CHUNK ROUNDS [REPEAT]
// MODE "stream": writes TOTAL bytes (a multiple of 8) to TARGET as a stream of CHUNK-byte chunks,
// making each chunk's words as it goes. "whole": makes all TOTAL bytes, then one send.
// "stamps": a stream of one buffer made once, each chunk stamped with its index in its first
// word (a transport measurement: no per-byte work on either side). "move": "stream" with each
// chunk handed over (rr_stream_write_move), so every chunk is made in the buffer's fresh pages.
// With REPEAT (default 1) it does all of it that many times and times the last: every function
// warm, its memory grown and its pages faulted in by the ones before. Counts the microseconds
// from its first byte made to the final status (the stream's close, or the send's return: the
// sink has consumed everything) as "elapsed_us", and exits 0 only when every status is RR_OK.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_stream.h"

static uint64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000U + (uint64_t)t.tv_nsec / 1000U;
}

static void make(uint64_t* words, uint64_t first, uint32_t n, uint32_t rounds) {
  for (uint32_t i = 0; i < n; ++i) {
    words[i] = bench_stream_word(first + i, rounds);
  }
}

static rr_status_t whole(const char* target, uint64_t total, uint32_t rounds) {
  uint64_t* all = malloc(total ? total : 8);
  if (all == NULL || total > UINT32_MAX) {
    return RR_ENOMEM;
  }
  make(all, 0, (uint32_t)(total / 8), rounds);
  const rr_status_t st = rr_send(target, all, (uint32_t)total);
  free(all);
  return st;
}

static rr_status_t stream(const char* target, uint64_t total, uint32_t chunk, uint32_t rounds,
                          int stamps, int move) {
  uint64_t* buf = rr_move_buffer(chunk);
  rr_stream_t s = 0;
  if (buf == NULL) {
    return RR_ENOMEM;
  }
  rr_status_t st = rr_stream_open(target, &s);
  if (st != RR_OK) {
    return st;
  }
  if (stamps) {
    make(buf, 0, chunk / 8, 0);
  }
  uint64_t index = 0;
  for (uint64_t sent = 0; sent < total && st == RR_OK; sent += chunk, ++index) {
    const uint32_t n = total - sent < chunk ? (uint32_t)(total - sent) : chunk;
    if (stamps) {
      buf[0] = index;
    } else {
      make(buf, sent / 8, n / 8, rounds);
    }
    st = move ? rr_stream_write_move(s, buf, n) : rr_stream_write(s, buf, n);
  }
  if (st != RR_OK) {
    (void)rr_stream_abort(s, st);
  } else {
    st = rr_stream_close(s);
  }
  free(buf);
  return st;
}

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    fprintf(stderr,
            "usage: bench_stream_producer stream|move|whole|stamps TARGET TOTAL CHUNK ROUNDS "
            "[REPEAT]\n");
    return 2;
  }
  const uint64_t total = strtoull(argv[3], NULL, 10) & ~7ULL;
  const uint32_t chunk = (uint32_t)strtoul(argv[4], NULL, 10) & ~7U;
  const uint32_t rounds = (uint32_t)strtoul(argv[5], NULL, 10);
  const uint32_t repeat = argc == 7 ? (uint32_t)strtoul(argv[6], NULL, 10) : 1;
  if (chunk == 0 || repeat == 0) {
    return 2;
  }
  rr_status_t st = RR_OK;
  uint64_t elapsed = 0;
  for (uint32_t r = 0; r < repeat && st == RR_OK; ++r) {
    const uint64_t start = now_us();
    st = strcmp(argv[1], "whole") == 0
             ? whole(argv[2], total, rounds)
             : stream(argv[2], total, chunk, rounds, strcmp(argv[1], "stamps") == 0,
                      strcmp(argv[1], "move") == 0);
    elapsed = now_us() - start;
  }
  (void)rr_count("elapsed_us", (uint32_t)(elapsed > UINT32_MAX ? UINT32_MAX : elapsed));
  /* The linear memory's size now is its peak: a wasm memory never shrinks. */
  (void)rr_count("memory_kib", (uint32_t)(__builtin_wasm_memory_size(0) * 64U));
  fprintf(stderr, "bench_stream_producer: %s %llu bytes in %llu us: %s\n", argv[1],
          (unsigned long long)total, (unsigned long long)elapsed, rr_status_name(st));
  return st == RR_OK ? 0 : 1;
}
