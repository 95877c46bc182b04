// roadrunner-guest: reactor
// Checks every byte of a payload from shared_sender (its seed and round are in its first 16
// bytes), then overwrites the first half of its buffer with 0xAB (the writes must stay its own;
// the second half stays as it arrived) and keeps it.
// "CHECK" checks that the kept buffer reads as it was left (0xAB, then the payload) or as zeros
// (the host dropped a mapped payload's pages when the handler returned), never as the sender's
// later bytes. A failed
// check fails the handler (RR_EHANDLER for the sender): 2 a wrong payload, 3 the kept buffer
// changed, 4 a forward failed.
//
// With SHARED_REUSE=1 (or =read) it exports rr_reuse_buffers() = 1 and keeps no buffer: the host
// may land a shared range's next payload in the same buffer with no rr_alloc in between (it
// counts its payload buffers as "payload_allocs"), which must arrive whole although the handler
// overwrote half of it (=read: only reads it). At "CHECK" it reads the last buffer through
// a pointer kept against that promise: never the sender's later bytes (a run of 0xEE), else 3.
//
// With SHARED_FORWARD=NAME in its environment it is a relay instead: its buffers come from
// rr_shared_buffer, so the host must copy a payload into them (mapping another function's pages
// over a shared range would leave that range's memfd behind), and it forwards each message,
// checked, from that buffer to NAME, whose pages the host then maps from the relay's memfd.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdlib.h>
#include <string.h>

#include "shared_pattern.h"

static uint8_t* kept;
static uint32_t kept_len;
static uint64_t kept_seed;
static uint32_t kept_round;

static const char* forward_to(void) {
  static int read;
  static const char* name;
  if (!read) {
    read = 1;
    name = getenv("SHARED_FORWARD");
  }
  return name;
}

// 0: off; 1: the handler writes its buffer; 2: it only reads it.
static int reuse_mode(void) {
  static int read;
  static int mode;
  if (!read) {
    read = 1;
    const char* reuse = getenv("SHARED_REUSE");
    mode = reuse == NULL ? 0 : strcmp(reuse, "read") == 0 ? 2 : 1;
  }
  return mode;
}

RR_EXPORT(RR_EXPORT_REUSE_BUFFERS) int32_t rr_reuse_buffers(void) { return reuse_mode() != 0; }

static uint8_t* last;
static uint32_t last_len;

// SHARED_REUSE: each payload whole, whatever the handler wrote into the buffer before.
static int32_t on_reused(uint8_t* p, uint32_t len, int check) {
  if (check) {
    // The sender's later bytes are a run of 0xEE; the payload's own 0xEE bytes are scattered.
    uint32_t run = 0;
    for (uint32_t i = 0; i < last_len && run < 64; ++i) {
      run = last[i] == 0xEE ? run + 1 : 0;
    }
    return run < 64 ? 0 : 3;
  }
  uint64_t head[2] = {0, 0};
  if (len >= 16) {
    memcpy(head, p, 16);
  }
  if (!matches(p, len, head[0], (uint32_t)head[1])) {
    return 2;
  }
  if (reuse_mode() == 1) {
    memset(p, 0xAB, len / 2);  // private copies of those pages: the next payload replaces them
  }
  last = p;
  last_len = len;
  return 0;
}

RR_EXPORT(RR_EXPORT_ALLOC) uint32_t rr_alloc(uint32_t len) {
  if (reuse_mode() && len >= RR_PAGE_SIZE) {
    (void)rr_count("payload_allocs", 1);
  }
  if (forward_to() != NULL) {
    return (uint32_t)(uintptr_t)rr_shared_buffer(len ? len : 1);
  }
  return (uint32_t)(uintptr_t)rr_move_buffer(len ? len : 1);
}

RR_EXPORT(RR_EXPORT_RELEASE) void rr_release(uint32_t buf, uint32_t len) {
  if (forward_to() != NULL) {
    rr_shared_buffer_free((void*)(uintptr_t)buf, len ? len : 1);
  } else if ((uint8_t*)(uintptr_t)buf != kept) {
    free((void*)(uintptr_t)buf);
  }
}

static int kept_is_intact(void) {
  for (uint32_t i = 0; i < kept_len; ++i) {
    const uint8_t left = i < kept_len / 2 ? 0xAB : pattern_byte(kept_seed, kept_round, i);
    if (kept[i] != left && kept[i] != 0) {
      return 0;
    }
  }
  return 1;
}

RR_EXPORT(RR_EXPORT_ON_MESSAGE)
int32_t rr_on_message(uint32_t buf, uint32_t len, uint32_t source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  uint8_t* p = (uint8_t*)(uintptr_t)buf;
  const int check = len == 5 && memcmp(p, "CHECK", 5) == 0;
  if (reuse_mode()) {
    return on_reused(p, len, check);
  }
  if (check && forward_to() == NULL) {
    return kept_is_intact() ? 0 : 3;
  }
  uint64_t head[2] = {0, 0};
  if (len >= 16) {
    memcpy(head, p, 16);
  }
  if (!check && !matches(p, len, head[0], (uint32_t)head[1])) {
    return 2;
  }
  if (forward_to() != NULL) {
    return rr_send(forward_to(), p, len) == RR_OK ? 0 : 4;
  }
  memset(p, 0xAB, len / 2);
  free(kept);
  kept = p;
  kept_len = len;
  kept_seed = head[0];
  kept_round = (uint32_t)head[1];
  return 0;
}

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)buf;
  (void)len;
  (void)source;
  (void)source_len;
  return 0;  // unused: rr_on_message above is the handler
}
