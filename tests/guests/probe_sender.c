// Asks route_probe how its host routes each name. Usage:
//   probe_sender PROBE OUTFILE NAME...
// For each NAME, sends it to PROBE and appends "NAME STATUS\n" to OUTFILE, STATUS being the
// rr_status_t of PROBE's own send to NAME. Exit status: 0, or the first failed send to PROBE's
// rr_status_t, or 64 for bad arguments or an unwritable OUTFILE.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc < 4) {
    return 64;
  }
  FILE* out = fopen(argv[2], "w");
  if (!out) {
    return 64;
  }
  for (int i = 3; i < argc; ++i) {
    rr_status_t routed = RR_STATUS_MAX + 1;
    uint32_t reply_len = 0;
    const rr_status_t st = rr_send_reply(argv[1], argv[i], (uint32_t)strlen(argv[i]), &routed,
                                         sizeof routed, &reply_len);
    if (st != RR_OK || reply_len != sizeof routed) {
      fclose(out);
      return st != RR_OK ? (int)st : 64;
    }
    fprintf(out, "%s %u\n", argv[i], (unsigned)routed);
  }
  return fclose(out) == 0 ? 0 : 64;
}
