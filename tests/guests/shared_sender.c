// Sends from a shared buffer (rr_shared_buffer) and checks what the ABI promises. Usage:
//   shared_sender TARGET SIZE SEED ROUNDS
// For each round, fills SIZE bytes of the buffer from SEED and the round (bytes differ between
// rounds) and rr_sends them to TARGET (a function or a group of shared_receivers, which check
// every byte and then overwrite their buffer), then:
//   - the sender's bytes are still its own (a receiver's write reached the sender: 101);
//   - it overwrites its buffer with 0xEE and sends "CHECK": each receiver checks that the
//     payload it kept reads as the round's bytes or as zeros, never as the sender's 0xEE (a
//     receiver that saw them fails its handler: RR_EHANDLER).
//   shared_sender TARGET SIZE SEED ROUNDS burst
// The rounds back to back, each refilled in place, and 0xEE and "CHECK" only after the last.
//   shared_sender TARGET SIZE SEED ROUNDS move
// The same with rr_send_move: after each send the buffer must read as zeros (else 102), and it
// stays a shared buffer that the next round fills again.
// Prints "shared N" and exits 0, or exits with the status, or 100 + the check that failed.
//   shared_sender TARGET hostile   hostile ranges, each status checked (see below: 111-122)
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared_pattern.h"

static int hostile(const char* target) {
  uint8_t* page = aligned_alloc(RR_PAGE_SIZE, 8 * RR_PAGE_SIZE);
  const int32_t at = (int32_t)(uintptr_t)page;
  if (rr_raw_share_pages((int32_t)0xFFFFF000u, 8192) != RR_EFAULT) {
    return 111;  // past the end of memory
  }
  if (rr_raw_share_pages(at + 100, RR_PAGE_SIZE) != RR_EINVAL) {
    return 112;  // not page-aligned
  }
  if (rr_raw_share_pages(at, 100) != RR_EINVAL || rr_raw_share_pages(at, 0) != RR_EINVAL) {
    return 113;  // not whole pages, or none
  }
  memset(page, 7, 8 * RR_PAGE_SIZE);
  if (rr_raw_share_pages(at, 4 * RR_PAGE_SIZE) != RR_OK || page[0] != 0 ||
      page[4 * RR_PAGE_SIZE - 1] != 0 || page[4 * RR_PAGE_SIZE] != 7) {
    return 114;  // shared pages read as zeros, the next page keeps its bytes
  }
  if (rr_raw_share_pages(at, 4 * RR_PAGE_SIZE) != RR_OK) {
    return 115;  // the same range again
  }
  if (rr_raw_share_pages(at + 2 * RR_PAGE_SIZE, 4 * RR_PAGE_SIZE) != RR_EINVAL) {
    return 116;  // overlapping
  }
  if (rr_raw_unshare_pages(at, RR_PAGE_SIZE) != RR_EINVAL ||
      rr_raw_unshare_pages(at + RR_PAGE_SIZE, 4 * RR_PAGE_SIZE) != RR_EINVAL) {
    return 117;  // not a range share_pages made
  }
  memset(page, 9, 4 * RR_PAGE_SIZE);
  // A send from the shared range to a receiver whose checks pass: pattern bytes.
  fill(page, 3 * RR_PAGE_SIZE + 17, 5, 0);
  if (rr_send(target, page, 3 * RR_PAGE_SIZE + 17) != RR_OK) {
    return 118;
  }
  if (rr_raw_unshare_pages(at, 4 * RR_PAGE_SIZE) != RR_OK || page[0] != 0) {
    return 119;  // unshared pages are private zero pages again
  }
  page[0] = 1;  // and writable
  // 64 ranges at once, then RR_ENOMEM; freeing one makes room.
  void* bufs[64];
  for (int i = 0; i < 64; ++i) {
    bufs[i] = rr_shared_buffer(RR_PAGE_SIZE);
    if (bufs[i] == NULL) {
      return 120;
    }
  }
  uint8_t* extra = aligned_alloc(RR_PAGE_SIZE, RR_PAGE_SIZE);
  if (rr_raw_share_pages((int32_t)(uintptr_t)extra, RR_PAGE_SIZE) != RR_ENOMEM) {
    return 121;
  }
  rr_shared_buffer_free(bufs[0], RR_PAGE_SIZE);
  if (rr_raw_share_pages((int32_t)(uintptr_t)extra, RR_PAGE_SIZE) != RR_OK) {
    return 122;
  }
  // Memory grows past shared ranges and stays usable.
  uint8_t* big = malloc(64u << 20);
  if (big == NULL) {
    return 123;
  }
  memset(big, 3, 64u << 20);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    return 64;
  }
  const char* target = argv[1];
  if (strcmp(argv[2], "hostile") == 0) {
    return hostile(target);
  }
  if (argc < 5) {
    return 64;
  }
  const uint32_t size = (uint32_t)strtoul(argv[2], NULL, 10);
  const uint64_t seed = strtoull(argv[3], NULL, 10);
  const int rounds = atoi(argv[4]);
  const int move = argc > 5 && strcmp(argv[5], "move") == 0;
  const int burst = argc > 5 && strcmp(argv[5], "burst") == 0;
  uint8_t* buf = rr_shared_buffer(size);
  if (buf == NULL) {
    return 65;
  }
  for (int round = 0; round < rounds; ++round) {
    fill(buf, size, seed, (uint32_t)round);
    rr_status_t st = move ? rr_send_move(target, buf, size) : rr_send(target, buf, size);
    if (st != RR_OK) {
      printf("send: %s\n", rr_status_name(st));
      return (int)st;
    }
    if (move) {
      for (uint32_t i = 0; i < size; ++i) {
        if (buf[i] != 0) {
          printf("byte %u of a moved buffer is %u, not 0\n", i, buf[i]);
          return 102;
        }
      }
    } else if (!matches(buf, size, seed, (uint32_t)round)) {
      printf("a receiver's write reached the sender's buffer\n");
      return 101;
    }
    if (burst && round + 1 < rounds) {
      continue;
    }
    memset(buf, 0xEE, size);
    st = rr_send(target, "CHECK", 5);
    if (st != RR_OK) {
      printf("check: %s\n", rr_status_name(st));
      return (int)st;
    }
  }
  rr_shared_buffer_free(buf, size);
  printf("shared %u\n", size);
  return 0;
}
