// Image pipeline, encoder: encodes grayscale pixels (8-byte width/height header) as PNG with
// stb_image_write, writes it to $OUT (through a preopened directory) and replies with a summary.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  uint32_t w = 0, h = 0;
  if (len < 8) {
    return 1;
  }
  memcpy(&w, buf, 4);
  memcpy(&h, buf + 4, 4);
  if ((uint64_t)w * h != len - 8) {
    fprintf(stderr, "bad frame: %ux%u in %u bytes\n", w, h, len);
    return 1;
  }
  int png_len = 0;
  unsigned char* png = stbi_write_png_to_mem(buf + 8, (int)w, (int)w, (int)h, 1, &png_len);
  if (!png) {
    return 1;
  }
  const char* path = getenv("OUT");
  if (path) {
    FILE* f = fopen(path, "wb");
    if (!f || fwrite(png, 1, (size_t)png_len, f) != (size_t)png_len) {
      perror(path);
      return 1;
    }
    fclose(f);
  }
  char summary[128];
  int n = snprintf(summary, sizeof summary, "%ux%u grayscale PNG, %d bytes%s%s", w, h, png_len,
                   path ? ", written to " : "", path ? path : "");
  STBIW_FREE(png);
  return rr_reply(summary, (uint32_t)(n < (int)sizeof summary ? n : (int)sizeof summary - 1)) ==
                 RR_OK
             ? 0
             : 1;
}
