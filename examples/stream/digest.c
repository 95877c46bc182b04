// roadrunner-guest: reactor
// The streaming pipeline's sink: the SHA-256 of the whole stream, printed at its end in
// sha256sum's format, so `tr a-z A-Z < FILE | sha256sum` can check it; with $OUT, also written
// to that file (a preopened path). Holds one chunk.
#define ROADRUNNER_STREAM_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sha256 {
  uint32_t h[8];
  uint8_t block[64];
  uint32_t used;
  uint64_t bytes;
};

static const uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, uint32_t n) { return (x >> n) | (x << (32 - n)); }

static void compress(struct sha256* s, const uint8_t* p) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i) {
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           p[4 * i + 3];
  }
  for (int i = 16; i < 64; ++i) {
    const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
  uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
  for (int i = 0; i < 64; ++i) {
    const uint32_t t1 =
        h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kK[i] + w[i];
    const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  s->h[0] += a;
  s->h[1] += b;
  s->h[2] += c;
  s->h[3] += d;
  s->h[4] += e;
  s->h[5] += f;
  s->h[6] += g;
  s->h[7] += h;
}

static void reset(struct sha256* s) {
  static const uint32_t kInit[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, kInit, sizeof kInit);
  s->used = 0;
  s->bytes = 0;
}

static void update(struct sha256* s, const uint8_t* p, uint32_t n) {
  s->bytes += n;
  while (n > 0) {
    if (s->used == 0 && n >= 64) {
      compress(s, p);
      p += 64;
      n -= 64;
      continue;
    }
    const uint32_t take = 64 - s->used < n ? 64 - s->used : n;
    memcpy(s->block + s->used, p, take);
    s->used += take;
    p += take;
    n -= take;
    if (s->used == 64) {
      compress(s, s->block);
      s->used = 0;
    }
  }
}

static void finish(struct sha256* s, char hex[65]) {
  const uint64_t bits = s->bytes * 8;
  const uint8_t pad = 0x80;
  const uint8_t zero = 0;
  update(s, &pad, 1);
  while (s->used != 56) {
    update(s, &zero, 1);
  }
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) {
    len[i] = (uint8_t)(bits >> (56 - 8 * i));
  }
  update(s, len, 8);
  for (int i = 0; i < 8; ++i) {
    snprintf(hex + 8 * i, 9, "%08x", s->h[i]);
  }
}

static struct sha256 g_sha;
static rr_stream_t g_stream;

int32_t rr_handle_stream(rr_stream_t stream, uint32_t event, const uint8_t* chunk, uint32_t len,
                         rr_status_t status) {
  if (g_stream != stream) {
    if (g_stream != 0) {
      return 1;  // one stream at a time
    }
    g_stream = stream;
    reset(&g_sha);
  }
  if (event == RR_STREAM_DATA) {
    update(&g_sha, chunk, len);
    return 0;
  }
  g_stream = 0;
  if (event == RR_STREAM_ABORT) {
    printf("digest: the stream was cut short (status %u); no digest\n", (unsigned)status);
  } else {
    const unsigned long long bytes = (unsigned long long)g_sha.bytes;
    char hex[65];
    finish(&g_sha, hex);
    printf("%s  -\ndigest: %llu bytes\n", hex, bytes);
    const char* out_path = getenv("OUT");
    FILE* out = out_path != NULL ? fopen(out_path, "w") : NULL;
    if (out != NULL) {
      fprintf(out, "%s\n", hex);
      fclose(out);
    } else if (out_path != NULL) {
      perror(out_path);
      return 1;
    }
  }
  fflush(stdout);
  return 0;
}
