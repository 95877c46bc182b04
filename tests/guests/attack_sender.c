// Sends attacks to a receiver and checks the status each one gets. Usage:
//   attack_sender TARGET ATTACK=STATUS...
// ATTACK is a handler attack of attack_receiver.c (recurse, exit, sleep, sleep-loop, spin, trap),
// alloc-ATTACK or release-ATTACK (the same attacks in rr_alloc or rr_release), or ok (a normal
// message, whose reply hash must match), or reply:WANT:CAP (a big_reply_receiver is asked for WANT
// reply bytes into a CAP-byte buffer; the reported length must be WANT and, if the reply fit,
// every byte right). STATUS is the rr_status_t number the send must return; STATUS/MS also
// requires the send to return within MS milliseconds.
// Prints one line per send; exits with the 1-based index of the first mismatch, or 0.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attack.h"

static uint32_t lengthFor(const char* name, uint32_t base) {
  static const char* const kNames[] = {"", "recurse", "exit", "sleep", "spin", "trap"};
  for (uint32_t i = 1; i < sizeof kNames / sizeof kNames[0]; ++i) {
    if (strcmp(name, kNames[i]) == 0) {
      return base + i;
    }
  }
  return 0;
}

// The payload for one attack: its name, or a length the receiver's allocator or release reacts
// to. "ok" payloads differ from round to round so a stale buffer cannot pass the hash check.
static uint32_t payloadFor(const char* attack, uint8_t* buf, uint32_t cap, uint32_t round) {
  uint32_t len = 0;
  if (strncmp(attack, "alloc-", 6) == 0) {
    len = lengthFor(attack + 6, kAllocAttackBase);
  } else if (strncmp(attack, "release-", 8) == 0) {
    len = lengthFor(attack + 8, kReleaseAttackBase);
  } else if (strcmp(attack, "ok") == 0) {
    len = 4096 + round * 13;
    for (uint32_t i = 0; i < len; ++i) {
      buf[i] = (uint8_t)(i * 31 + round);
    }
    return len;
  } else {
    len = (uint32_t)strlen(attack);
    memcpy(buf, attack, len);
    return len;
  }
  if (len == 0 || len > cap) {
    return 0;
  }
  memset(buf, 'x', len);
  return len;
}

static volatile uint32_t sink;

static double nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

__attribute__((noinline)) static uint32_t recurse(uint32_t depth, int call_host) {
  if (depth == UINT32_MAX) {
    return sink;  // never
  }
  uint32_t here = depth;
  if (call_host) {
    here += rr_send("nobody", NULL, 0);  // RR_EUNKNOWN_TARGET, at every depth
  }
  return recurse(depth + 1, call_host) * 3 + here;
}

// reply:WANT:CAP; returns 1 if the send's status and reply are as `want` says.
static int askForReply(const char* target, const char* spec, rr_status_t want, rr_status_t* st) {
  char* end = NULL;
  const uint32_t n = (uint32_t)strtoul(spec, &end, 10);
  const uint32_t cap = end && *end == ':' ? (uint32_t)strtoul(end + 1, NULL, 10) : 0;
  uint8_t* reply = malloc(cap ? cap : 1);
  if (reply == NULL) {
    return 0;
  }
  uint32_t reply_len = 0;
  *st = rr_send_reply(target, &n, sizeof n, reply, cap, &reply_len);
  int ok = *st == want;
  if (ok && (*st == RR_OK || *st == RR_EREPLY_TOO_LARGE)) {
    ok = reply_len == n;  // the full length, also when it did not fit
  }
  for (uint32_t i = 0; ok && *st == RR_OK && i < n; ++i) {
    ok = reply[i] == (uint8_t)(i * 7 + 1);
  }
  free(reply);
  return ok;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--recurse") == 0) {
    sink = recurse(0, 0);
  } else if (argc == 2 && strcmp(argv[1], "--recurse-host") == 0) {
    sink = recurse(0, 1);
  }
  if (argc < 3) {
    return 64;
  }
  static uint8_t buf[100000];
  for (int i = 2; i < argc; ++i) {
    char attack[64];
    const char* eq = strchr(argv[i], '=');
    if (eq == NULL || (size_t)(eq - argv[i]) >= sizeof attack) {
      return 64;
    }
    memcpy(attack, argv[i], (size_t)(eq - argv[i]));
    attack[eq - argv[i]] = 0;
    char* rest = NULL;
    const rr_status_t want = (rr_status_t)strtoul(eq + 1, &rest, 10);
    const double max_ms = rest && *rest == '/' ? strtod(rest + 1, NULL) : 0;
    if (strncmp(attack, "reply:", 6) == 0) {
      rr_status_t st = RR_OK;
      const int ok = askForReply(argv[1], attack + 6, want, &st);
      printf("%s: status %u (%s)%s\n", attack, st, rr_status_name(st), ok ? "" : " UNEXPECTED");
      fflush(stdout);
      if (!ok) {
        return i - 1;
      }
      continue;
    }
    const uint32_t len = payloadFor(attack, buf, sizeof buf, (uint32_t)i);
    if (len == 0) {
      return 64;
    }
    uint64_t hash = 0;
    uint32_t hash_len = 0;
    const double start = nowMs();
    const rr_status_t st = rr_send_reply(argv[1], buf, len, &hash, sizeof hash, &hash_len);
    const double took = nowMs() - start;
    int ok = st == want && (max_ms == 0 || took <= max_ms);
    if (ok && st == RR_OK && strcmp(attack, "ok") == 0) {
      ok = hash_len == sizeof hash && hash == attackHash(buf, len);
    }
    printf("%s: status %u (%s) in %.0f ms%s\n", attack, st, rr_status_name(st), took,
           ok ? "" : " UNEXPECTED");
    fflush(stdout);
    if (!ok) {
      return i - 1;
    }
  }
  return 0;
}
