// Image pipeline, transform: decodes the image (stb_image), converts it to grayscale at half
// size (2x2 box filter), and sends the raw pixels, behind an 8-byte width/height header, to
// "encoder". Replies with the encoder's reply.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STBI_NO_HDR
#define STBI_NO_LINEAR
#define STBI_NO_STDIO
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  int w = 0, h = 0, channels = 0;
  unsigned char* rgb = stbi_load_from_memory(buf, (int)len, &w, &h, &channels, 3);
  if (!rgb) {
    fprintf(stderr, "decode: %s\n", stbi_failure_reason());
    return 1;
  }
  const uint32_t ow = (uint32_t)(w / 2 > 0 ? w / 2 : 1), oh = (uint32_t)(h / 2 > 0 ? h / 2 : 1);
  uint8_t* out = malloc(8 + (size_t)ow * oh);
  if (!out) {
    stbi_image_free(rgb);
    return 1;
  }
  memcpy(out, &ow, 4);
  memcpy(out + 4, &oh, 4);
  for (uint32_t y = 0; y < oh; ++y) {
    for (uint32_t x = 0; x < ow; ++x) {
      uint32_t sum = 0;
      for (uint32_t dy = 0; dy < 2; ++dy) {
        for (uint32_t dx = 0; dx < 2; ++dx) {
          const uint32_t sx = x * 2 + dx < (uint32_t)w ? x * 2 + dx : (uint32_t)w - 1;
          const uint32_t sy = y * 2 + dy < (uint32_t)h ? y * 2 + dy : (uint32_t)h - 1;
          const unsigned char* p = rgb + ((size_t)sy * (uint32_t)w + sx) * 3;
          sum += (299u * p[0] + 587u * p[1] + 114u * p[2]) / 1000u;
        }
      }
      out[8 + (size_t)y * ow + x] = (uint8_t)(sum / 4);
    }
  }
  stbi_image_free(rgb);
  fprintf(stderr, "decoded %dx%d, sending %ux%u grayscale\n", w, h, ow, oh);
  char reply[128];
  uint32_t reply_len = 0;
  rr_status_t st = rr_send_reply("encoder", out, 8 + ow * oh, reply, sizeof reply, &reply_len);
  free(out);
  if (st != RR_OK) {
    fprintf(stderr, "send to encoder: %s\n", rr_status_name(st));
    return 1;
  }
  return rr_reply(reply, reply_len) == RR_OK ? 0 : 1;
}
