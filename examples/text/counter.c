// Text pipeline, consumer: counts the words in what it receives and replies with the count.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  uint64_t words = 0;
  int in_word = 0;
  for (uint32_t i = 0; i < len; ++i) {
    const int space = buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t' || buf[i] == '\r';
    words += (!space && !in_word);
    in_word = !space;
  }
  char text[32];
  int n = snprintf(text, sizeof text, "%llu", (unsigned long long)words);
  fprintf(stderr, "counted %llu words in %u bytes from %.*s\n", (unsigned long long)words, len,
          (int)source_len, source);
  return rr_reply(text, (uint32_t)n) == RR_OK ? 0 : 1;
}
