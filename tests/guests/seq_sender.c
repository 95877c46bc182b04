// A sender that numbers its payloads, for fault injection. Usage:
//   seq_sender TARGET FIRST COUNT SIZE LOG
// sends payloads FIRST .. FIRST+COUNT-1 of SIZE bytes each: an 8-byte sequence number, then
// bytes derived from it (the pattern ledger_receiver checks). It appends "start SEQ" to the
// file LOG before each send, and "ok SEQ" once the receiver acknowledged it with its sequence
// number ("failed SEQ" otherwise). Each line is written before the next step, so a sender
// killed at any point leaves an exact record of what it began and what it was told.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 6) {
    return 64;
  }
  const char* target = argv[1];
  const uint64_t first = strtoull(argv[2], NULL, 10);
  const uint64_t count = strtoull(argv[3], NULL, 10);
  const uint32_t size = (uint32_t)strtoul(argv[4], NULL, 10);
  FILE* log = fopen(argv[5], "a");
  uint8_t* buf = malloc(size);
  if (size < 8 || !log || !buf) {
    return 65;
  }
  for (uint64_t seq = first; seq < first + count; ++seq) {
    memcpy(buf, &seq, 8);
    for (uint32_t i = 8; i < size; ++i) {
      buf[i] = (uint8_t)(seq * 131 + i);
    }
    fprintf(log, "start %llu\n", (unsigned long long)seq);
    fflush(log);
    uint64_t echoed = UINT64_MAX;
    uint32_t echoed_len = 0;
    const rr_status_t st = rr_send_reply(target, buf, size, &echoed, sizeof echoed, &echoed_len);
    const int ok = st == RR_OK && echoed_len == sizeof echoed && echoed == seq;
    fprintf(log, "%s %llu\n", ok ? "ok" : "failed", (unsigned long long)seq);
    fflush(log);
  }
  fclose(log);
  return 0;
}
