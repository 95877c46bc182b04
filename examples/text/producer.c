// Text pipeline, producer: reads a file through WASI and sends its bytes to "counter", which
// replies with the word count. Usage: text_producer FILE
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  FILE* f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* text = malloc(size > 0 ? (size_t)size : 1);
  if (!text || fread(text, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  fclose(f);
  char reply[64];
  uint32_t reply_len = 0;
  rr_status_t st =
      rr_send_reply("counter", text, (uint32_t)size, reply, sizeof reply - 1, &reply_len);
  if (st != RR_OK) {
    fprintf(stderr, "send to counter: %s\n", rr_status_name(st));
    return 1;
  }
  reply[reply_len] = '\0';
  printf("sent %ld bytes of %s; counter says: %s words\n", size, argv[1], reply);
  return 0;
}
