// Chain, last stage: appends what it receives to /out/summary.txt (a preopened directory) and
// replies with the file's name.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  FILE* f = fopen("/out/summary.txt", "ab");
  if (!f) {
    perror("/out/summary.txt");
    return 1;
  }
  const int ok = fwrite(buf, 1, len, f) == len;
  fclose(f);
  fprintf(stderr, "stored %u bytes from %.*s\n", len, (int)source_len, source);
  static const char kName[] = "/out/summary.txt";
  return ok && rr_reply(kName, sizeof kName - 1) == RR_OK ? 0 : 1;
}
