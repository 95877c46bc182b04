// Counts in its own counters (rr_count, the add_counter import) and checks each status:
//   "messages" += 3 then += 4; "hostile": names the host must refuse; then names up to the
//   limit of 32 ("messages" and fill_0 .. fill_30), and a 33rd that gets RR_ENOMEM.
// Then records span events (rr_event, the span_event import), whose statuses are the same
// whether the host traces or not: hostile names, then 32 events in this command run and a 33rd
// that gets RR_ENOMEM.
// Exit 0 if every status was right, else 100 + the check that failed.
#define ROADRUNNER_IMPLEMENTATION
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  if (rr_count("messages", 3) != RR_OK || rr_count("messages", 4) != RR_OK) {
    return 101;
  }
  if (rr_count("", 1) != RR_EINVAL || rr_count("bad name", 1) != RR_EINVAL ||
      rr_count("quote\"", 1) != RR_EINVAL) {
    return 102;  // empty, a space, a character a label value would need escaped
  }
  char name[80];
  memset(name, 'a', 65);
  name[65] = '\0';
  if (rr_count(name, 1) != RR_EINVAL) {
    return 103;  // 65 characters
  }
  if (rr_raw_add_counter((int32_t)0xFFFFFFF0u, 32, 1) != RR_EFAULT) {
    return 104;  // past the end of memory
  }
  for (int i = 0; i < 31; ++i) {
    snprintf(name, sizeof name, "fill_%d", i);
    if (rr_count(name, (uint32_t)i) != RR_OK) {
      return 105;
    }
  }
  if (rr_count("one_too_many", 1) != RR_ENOMEM || rr_count("messages", 1) != RR_OK) {
    return 106;  // a 33rd name is refused; the existing ones still count
  }
  if (rr_event("") != RR_EINVAL || rr_event("bad name") != RR_EINVAL || rr_event(name) != RR_OK) {
    return 107;  // name holds "fill_30": a good event name
  }
  if (rr_raw_span_event((int32_t)0xFFFFFFF0u, 32) != RR_EFAULT) {
    return 108;
  }
  for (int i = 1; i < 32; ++i) {
    if (rr_event("probe_event") != RR_OK) {
      return 109;
    }
  }
  if (rr_event("probe_event") != RR_ENOMEM) {
    return 110;  // a 33rd event in one command run
  }
  return 0;
}
