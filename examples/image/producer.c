// Image pipeline, producer: reads an image file (PNG, JPEG, PPM...) through WASI and sends its
// encoded bytes to "transform"; prints what came back. Usage: image_producer IN_FILE
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s IMAGE\n", argv[0]);
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
  unsigned char* bytes = malloc(size > 0 ? (size_t)size : 1);
  if (!bytes || fread(bytes, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  fclose(f);
  char reply[128];
  uint32_t reply_len = 0;
  rr_status_t st =
      rr_send_reply("transform", bytes, (uint32_t)size, reply, sizeof reply - 1, &reply_len);
  if (st != RR_OK) {
    fprintf(stderr, "send to transform: %s\n", rr_status_name(st));
    return 1;
  }
  reply[reply_len] = '\0';
  printf("sent %ld encoded bytes; pipeline says: %s\n", size, reply);
  return 0;
}
