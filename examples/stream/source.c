// The streaming pipeline's source: reads FILE (a preopened path) in 1 MiB chunks and streams them
// to "upper". Its memory holds one chunk however large the file is.
//   source FILE
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>

enum { kChunk = 1 << 20 };

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: source FILE\n");
    return 2;
  }
  FILE* in = fopen(argv[1], "rb");
  if (in == NULL) {
    perror(argv[1]);
    return 1;
  }
  char* chunk = malloc(kChunk);
  rr_stream_t stream = 0;
  rr_status_t st = chunk != NULL ? rr_stream_open("upper", &stream) : RR_ENOMEM;
  unsigned long long total = 0;
  for (size_t n; st == RR_OK && (n = fread(chunk, 1, kChunk, in)) > 0; total += n) {
    st = rr_stream_write(stream, chunk, (uint32_t)n);
  }
  if (st == RR_OK && ferror(in)) {
    perror(argv[1]);
    st = rr_stream_abort(stream, RR_EUNAVAILABLE);  // the digest must not look complete
    return 1;
  }
  if (st == RR_OK) {
    st = rr_stream_close(stream);
  } else if (stream != 0) {
    (void)rr_stream_abort(stream, st);
  }
  fclose(in);
  printf("source: streamed %llu bytes: %s\n", total, rr_status_name(st));
  return st == RR_OK ? 0 : 1;
}
