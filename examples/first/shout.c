// A receiver: replies with the message in capitals. The host copied the message straight from
// the sender's memory into buf; no serialization on either side.
#define ROADRUNNER_RECEIVER
#include <ctype.h>
#include <roadrunner/guest/roadrunner.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  char out[256];
  if (len > sizeof out) {
    return 1;  // the sender gets RR_EHANDLER
  }
  for (uint32_t i = 0; i < len; ++i) {
    out[i] = (char)toupper(buf[i]);
  }
  return rr_reply(out, len) == RR_OK ? 0 : 1;
}
