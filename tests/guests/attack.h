// What attack_sender and attack_receiver agree on.
#ifndef RR_TEST_GUESTS_ATTACK_H
#define RR_TEST_GUESTS_ATTACK_H
#include <stdint.h>

// Payload lengths that make the receiver's rr_alloc (base + attack) or rr_release attack.
enum { kAllocAttackBase = 70000, kReleaseAttackBase = 80000 };
enum { kAttackRecurse = 1, kAttackExit, kAttackSleep, kAttackSpin, kAttackTrap };

static inline uint64_t attackHash(const uint8_t* p, uint32_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (uint32_t i = 0; i < n; ++i) {
    h = (h ^ p[i]) * 1099511628211ULL;
  }
  return h;
}
#endif
