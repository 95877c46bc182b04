// A command: sends each of its arguments to the function "shout" and prints the reply.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char reply[256];
    uint32_t reply_len = 0;
    rr_status_t st =
        rr_send_reply("shout", argv[i], (uint32_t)strlen(argv[i]), reply, sizeof reply, &reply_len);
    if (st != RR_OK) {
      printf("shout failed: %s\n", rr_status_name(st));
      return 1;
    }
    printf("%s -> %.*s\n", argv[i], (int)reply_len, reply);
  }
  return 0;
}
