// roadrunner-guest: reactor
// Forwards every payload to $RELAY_TO and replies with what that target replied.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdlib.h>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)source;
  (void)source_len;
  const char* to = getenv("RELAY_TO");
  uint8_t reply[64];
  uint32_t reply_len = 0;
  rr_status_t st = rr_send_reply(to ? to : "", buf, len, reply, sizeof reply, &reply_len);
  if (st != RR_OK) {
    return (int32_t)st;
  }
  if (rr_event("relayed") != RR_OK) {  // in the handler run's span, when the host traces
    return 1;
  }
  return rr_reply(reply, reply_len) == RR_OK ? 0 : 1;
}
