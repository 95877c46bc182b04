// Hands payloads over with rr_send_move and checks what the ABI promises. Usage:
//   move_sender TARGET SIZE SEED OFFSET CHECK
// sends SIZE bytes generated from SEED, OFFSET bytes into a buffer from rr_move_buffer (0: page-
// aligned), to a keeper_receiver, then:
//   - the reply is the FNV-1a hash of the bytes sent;
//   - the sender's range reads as zeros;
//   - with CHECK 1: the sender fills its range with 0xEE, and the receiver, asked with "CHECK",
//     hashes the buffer it kept to the payload's value, or to zeros' where the host dropped a
//     moved payload's pages when the handler returned, never to the sender's new bytes.
// Prints "moved N" and exits 0, or exits with the status, or 100 + the check that failed (104:
// a buffer of RR_HUGE_PAGE_SIZE or more from rr_move_buffer not aligned to it).
//   move_sender TARGET hostile   hostile ranges, each status checked: a range past the end of
//                                memory is RR_EFAULT (111), a reply buffer inside the payload
//                                RR_EINVAL with the payload cleared all the same (112, 113),
//                                no bytes RR_OK (114), the reply's length inside the payload
//                                RR_EINVAL (115)
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const uint8_t* p, uint32_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (uint32_t i = 0; i < n; ++i) {
    h = (h ^ p[i]) * 1099511628211ULL;
  }
  return h;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    return 64;
  }
  const char* target = argv[1];
  if (strcmp(argv[2], "hostile") == 0) {
    const int32_t name = (int32_t)(uintptr_t)target;
    const int32_t name_len = (int32_t)strlen(target);
    if (rr_raw_send_move(name, name_len, (int32_t)0xFFFFF000u, 8192, 0, 0, 0) != RR_EFAULT) {
      return 111;
    }
    uint8_t* page = rr_move_buffer(8192);
    memset(page, 7, 8192);
    if (rr_raw_send_move(name, name_len, (int32_t)(uintptr_t)page, 8192,
                         (int32_t)(uintptr_t)(page + 4096), 8, 0) != RR_EINVAL) {
      return 112;
    }
    if (page[0] != 0 || page[8191] != 0) {
      return 113;
    }
    if (rr_raw_send_move(name, name_len, (int32_t)(uintptr_t)page, 0, 0, 0, 0) != RR_OK) {
      return 114;
    }
    uint64_t reply = 0;
    if (rr_raw_send_move(name, name_len, (int32_t)(uintptr_t)page, 8192, (int32_t)(uintptr_t)&reply,
                         sizeof reply, (int32_t)(uintptr_t)(page + 64)) != RR_EINVAL) {
      return 115;
    }
    return 0;
  }
  if (argc < 6) {
    return 64;
  }
  const uint32_t size = (uint32_t)strtoul(argv[2], NULL, 10);
  uint64_t x = strtoull(argv[3], NULL, 10) | 1;
  const uint32_t offset = (uint32_t)strtoul(argv[4], NULL, 10);
  const int check = atoi(argv[5]);
  uint8_t* base = rr_move_buffer(size + offset);
  if (base == NULL) {
    return 65;
  }
  if (size + offset >= RR_HUGE_PAGE_SIZE && (uintptr_t)base % RR_HUGE_PAGE_SIZE != 0) {
    printf("rr_move_buffer(%u) is not aligned to a huge page\n", size + offset);
    return 104;
  }
  uint8_t* buf = base + offset;
  for (uint32_t i = 0; i < size; ++i) {  // xorshift: every byte depends on the seed
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buf[i] = (uint8_t)x;
  }
  const uint64_t want = fnv1a(buf, size);
  uint64_t got = 0;
  uint32_t got_len = 0;
  rr_status_t st = rr_send_move_reply(target, buf, size, &got, sizeof got, &got_len);
  if (st != RR_OK) {
    printf("send_move: %s\n", rr_status_name(st));
    return (int)st;
  }
  if (got_len != sizeof got || got != want) {
    printf("reply hash mismatch\n");
    return 101;
  }
  for (uint32_t i = 0; i < size; ++i) {
    if (buf[i] != 0) {
      printf("byte %u of the moved range is %u, not 0\n", i, buf[i]);
      return 102;
    }
  }
  if (!check) {
    printf("moved %u\n", size);
    return 0;
  }
  memset(buf, 0xEE, size);  // the sender reuses its range: the receiver's copy must not change
  got = 0;
  st = rr_send_reply(target, "CHECK", 5, &got, sizeof got, &got_len);
  if (st != RR_OK) {
    printf("check: %s\n", rr_status_name(st));
    return (int)st;
  }
  // What the receiver kept reads as the payload, or as zeros where the host dropped a moved
  // payload's pages after its handler; never as the bytes the sender wrote since.
  uint64_t zeros = 1469598103934665603ULL;
  for (uint32_t i = 0; i < size; ++i) {
    zeros *= 1099511628211ULL;
  }
  if (got != want && got != zeros) {
    printf("the receiver's kept payload changed after the move\n");
    return 103;
  }
  printf("moved %u\n", size);
  return 0;
}
