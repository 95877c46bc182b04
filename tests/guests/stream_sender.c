// Streams TOTAL bytes to TARGET in chunks of CHUNK bytes:
//   stream_sender TARGET TOTAL CHUNK [MODE]
// MODE, acted on once half the bytes are written: "close" (the default: write all, close),
// "abort" (rr_stream_abort with 77), "trap", "exit" (proc_exit 3), "leave" (return from main
// with the stream open). "move" writes all and closes as "close" does, from an rr_move_buffer
// with rr_stream_write_move, and checks after each write that the chunk's bytes read as zeros
// (exit 9 if not). "try" writes all and closes, each chunk with rr_stream_try_write: on
// RR_EWOULDBLOCK it counts the refusal (guest counter "would_block"), works a little on other
// things and offers the same chunk again. The bytes follow stream_pattern.h with $STREAM_SEED
// (default 1).
// Prints the close's status; exits 0 when it is RR_OK, else with the status.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_pattern.h"

// Work a writer does while its receiver is busy, instead of waiting for it: about 50 us.
static uint32_t otherWork(uint32_t x) {
  for (int i = 0; i < 20000; ++i) {
    x = x * 1664525U + 1013904223U;
  }
  return x;
}

// Offers the chunk until a receiver takes it; counts each refusal.
static rr_status_t tryWrite(rr_stream_t s, const uint8_t* buf, uint32_t n) {
  static uint32_t sink = 1;
  rr_status_t st = rr_stream_try_write(s, buf, n);
  while (st == RR_EWOULDBLOCK) {
    if (rr_count("would_block", 1) != RR_OK) {
      return RR_EPROTO;
    }
    sink = otherWork(sink);
    st = rr_stream_try_write(s, buf, n);
  }
  return sink == 0 ? RR_EPROTO : st;  // keeps the work from being optimized away
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: stream_sender TARGET TOTAL CHUNK [MODE]\n");
    return 2;
  }
  const uint64_t total = strtoull(argv[2], NULL, 10);
  const uint32_t chunk = (uint32_t)strtoul(argv[3], NULL, 10);
  const char* mode = argc > 4 ? argv[4] : "close";
  const uint32_t seed = (uint32_t)env_u64("STREAM_SEED", 1);
  const int move = strcmp(mode, "move") == 0;
  uint8_t* buf = move ? rr_move_buffer(chunk ? chunk : 1) : malloc(chunk ? chunk : 1);
  rr_stream_t s = 0;
  rr_status_t st = rr_stream_open(argv[1], &s);
  if (st != RR_OK || buf == NULL) {
    printf("stream open status=%s\n", rr_status_name(st));
    return st != RR_OK ? (int)st : 2;
  }
  uint64_t sent = 0;
  uint64_t chunks = 0;
  while (sent < total && st == RR_OK) {
    if (sent >= total / 2 && strcmp(mode, "close") != 0 && strcmp(mode, "try") != 0 && !move) {
      if (strcmp(mode, "abort") == 0) {
        st = rr_stream_abort(s, 77);
        printf("stream aborted status=%s chunks=%llu\n", rr_status_name(st),
               (unsigned long long)chunks);
        return st == RR_OK ? 0 : (int)st;
      }
      if (strcmp(mode, "trap") == 0) {
        __builtin_trap();
      }
      if (strcmp(mode, "exit") == 0) {
        exit(3);
      }
      return 0;  // "leave": the host aborts the stream
    }
    const uint32_t n = total - sent < chunk ? (uint32_t)(total - sent) : chunk;
    for (uint32_t j = 0; j < n; ++j) {
      buf[j] = stream_byte(seed, sent + j);
    }
    if (move) {
      st = rr_stream_write_move(s, buf, n);
    } else if (strcmp(mode, "try") == 0) {
      st = tryWrite(s, buf, n);
    } else {
      st = rr_stream_write(s, buf, n);
    }
    for (uint32_t j = 0; move && j < n; ++j) {
      if (buf[j] != 0) {
        printf("byte %u of chunk %llu still holds %u after the move\n", j,
               (unsigned long long)chunks, buf[j]);
        return 9;
      }
    }
    sent += n;
    ++chunks;
  }
  const rr_status_t written = st;
  st = rr_stream_close(s);
  printf("stream status=%s write=%s chunks=%llu bytes=%llu\n", rr_status_name(st),
         rr_status_name(written), (unsigned long long)chunks, (unsigned long long)sent);
  return st == RR_OK ? 0 : (int)st;
}
