// roadrunner-guest: reactor
// A receiver that attacks its host as each payload says, and serves normally otherwise.
// Handler attacks are named by the payload's text; allocator and release attacks by the payload
// length, which is all rr_alloc and rr_release see (see attack_sender.c for the table).
//   recurse      unbounded recursion (native stack exhaustion under AOT)
//   exit         proc_exit(3) from the handler
//   sleep        blocks 8 s in one host call (poll_oneoff)
//   sleep-loop   blocks in host calls forever, one second at a time
//   spin         loops forever in guest code
//   trap         an out-of-bounds store
// Any other payload: replies with the payload's FNV-1a hash, so the sender checks the bytes.
// It defines all three receiver exports itself, as a guest written against docs/abi.md alone would.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#include "attack.h"

static volatile uint32_t sink;

// Not a tail call and no locals in linear memory: every frame lives on the native stack under
// AOT, so this exhausts the host thread's stack, not the guest's shadow stack.
__attribute__((noinline)) static uint32_t recurse(uint32_t depth) {
  if (depth == UINT32_MAX) {
    return sink;  // never: 4 billion frames do not fit any stack
  }
  return recurse(depth + 1) * 3 + depth;
}

static void spin(void) {
  for (;;) {
    sink = sink + 1;
  }
}

static void sleepForever(void) {
  for (;;) {
    sleep(1);
  }
}

static void trap(void) {
  volatile uint8_t* p = (volatile uint8_t*)(uintptr_t)0xFFFFFFF0u;
  *p = 1;
}

// Attacks triggered by a length: rr_alloc and rr_release see nothing else.
static void lengthAttack(uint32_t len, uint32_t base) {
  switch (len - base) {
    case kAttackRecurse:
      sink = recurse(0);
      break;
    case kAttackExit:
      __wasi_proc_exit(3);
      break;
    case kAttackSleep:
      sleep(8);
      break;
    case kAttackSpin:
      spin();
      break;
    case kAttackTrap:
      trap();
      break;
    default:
      break;
  }
}

__attribute__((export_name(RR_EXPORT_ALLOC))) uint32_t rr_alloc(uint32_t len) {
  lengthAttack(len, kAllocAttackBase);
  const uint32_t rounded = (len + RR_PAGE_SIZE - 1) & ~(RR_PAGE_SIZE - 1);
  return len == 0 ? 0 : (uint32_t)(uintptr_t)aligned_alloc(RR_PAGE_SIZE, rounded);
}

__attribute__((export_name(RR_EXPORT_RELEASE))) void rr_release(uint32_t buf, uint32_t len) {
  lengthAttack(len, kReleaseAttackBase);
  free((void*)(uintptr_t)buf);
}

static int is(const uint8_t* buf, uint32_t len, const char* name) {
  const size_t n = strlen(name);
  return len >= n && memcmp(buf, name, n) == 0 && (len == n || buf[n] == 0);
}

__attribute__((export_name(RR_EXPORT_ON_MESSAGE))) int32_t rr_on_message(uint32_t ptr, uint32_t len,
                                                                         uint32_t source,
                                                                         uint32_t source_len) {
  (void)source;
  (void)source_len;
  const uint8_t* buf = (const uint8_t*)(uintptr_t)ptr;
  if (is(buf, len, "recurse")) {
    sink = recurse(0);
  } else if (is(buf, len, "exit")) {
    __wasi_proc_exit(3);
  } else if (is(buf, len, "sleep")) {
    sleep(8);
  } else if (is(buf, len, "sleep-loop")) {
    sleepForever();
  } else if (is(buf, len, "spin")) {
    spin();
  } else if (is(buf, len, "trap")) {
    trap();
  }
  const uint64_t hash = attackHash(buf, len);
  return rr_reply(&hash, sizeof hash) == RR_OK ? 0 : 1;
}
