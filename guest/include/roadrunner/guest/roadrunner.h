/* Roadrunner guest SDK for C (C99) and C++: raw imports and typed wrappers.
 *
 * A receiving function defines one handler:
 *
 *   #include <roadrunner/guest/roadrunner.h>
 *   int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
 *     ... use buf; optionally rr_reply(result, result_len); return 0;
 *   }
 *
 * Single-header SDK: in exactly one source file of a function, before including this header,
 *   #define ROADRUNNER_IMPLEMENTATION   emits rr_abi_version() and rr_status_name();
 *   #define ROADRUNNER_RECEIVER         also emits the default receiver exports: rr_alloc (page-
 *                                       aligned, whole pages), rr_on_message (calls rr_handle)
 *                                       and rr_release (frees after the handler returned).
 *   #define ROADRUNNER_STREAM_RECEIVER  emits rr_alloc and rr_release too, and rr_on_stream (calls
 *                                       rr_handle_stream); both receiver defines may be given.
 *   #define ROADRUNNER_REUSE_BUFFERS    emits rr_reuse_buffers() returning 1: the handler keeps no
 *                                       pointer into its buffer past its return, so the host may
 *                                       deliver the next payload from the same range of a
 *                                       sender's shared buffer into the same buffer, still mapped.
 * The defaults are weak: a function overrides any of them by defining its own in another source
 * file, or, in the same file, defines ROADRUNNER_CUSTOM_ALLOC and its own rr_alloc.
 * A sending function calls rr_send() or rr_send_reply(), or hands its buffer over with
 * rr_send_move() or rr_send_move_reply().
 *
 * Streams: a sender calls rr_stream_open(), rr_stream_write() per chunk and rr_stream_close()
 * (or rr_stream_abort()). A function that receives streams defines ROADRUNNER_STREAM_RECEIVER
 * and one handler per event:
 *
 *   int32_t rr_handle_stream(rr_stream_t stream, uint32_t event, const uint8_t* chunk,
 *                            uint32_t len, rr_status_t status) {
 *     RR_STREAM_DATA: a chunk; RR_STREAM_END: the stream is complete; RR_STREAM_ABORT: it was
 *     cut short (status says why). Return 0, or anything else to fail the stream.
 *   }
 */
#ifndef ROADRUNNER_GUEST_ROADRUNNER_H
#define ROADRUNNER_GUEST_ROADRUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "roadrunner/guest/abi.h"

#ifdef __wasm32__
_Static_assert(sizeof(void*) == 4, "Roadrunner guests are wasm32");
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define RR_IMPORT(name) __attribute__((__import_module__(RR_ABI_MODULE), __import_name__(name)))

int32_t rr_raw_send(int32_t target, int32_t target_len, int32_t buf, int32_t len, int32_t reply,
                    int32_t reply_cap, int32_t reply_len_out) RR_IMPORT(RR_IMPORT_SEND);
int32_t rr_raw_reply(int32_t buf, int32_t len) RR_IMPORT(RR_IMPORT_REPLY);
int32_t rr_raw_send_move(int32_t target, int32_t target_len, int32_t buf, int32_t len,
                         int32_t reply, int32_t reply_cap, int32_t reply_len_out)
    RR_IMPORT(RR_IMPORT_SEND_MOVE);
int32_t rr_raw_share_pages(int32_t buf, int32_t len) RR_IMPORT(RR_IMPORT_SHARE_PAGES);
int32_t rr_raw_unshare_pages(int32_t buf, int32_t len) RR_IMPORT(RR_IMPORT_UNSHARE_PAGES);
int32_t rr_raw_add_counter(int32_t name, int32_t name_len, int32_t value)
    RR_IMPORT(RR_IMPORT_ADD_COUNTER);
int32_t rr_raw_span_event(int32_t name, int32_t name_len) RR_IMPORT(RR_IMPORT_SPAN_EVENT);
int32_t rr_raw_stream_open(int32_t target, int32_t target_len, int32_t stream_out)
    RR_IMPORT(RR_IMPORT_STREAM_OPEN);
int32_t rr_raw_stream_write(int32_t stream, int32_t buf, int32_t len)
    RR_IMPORT(RR_IMPORT_STREAM_WRITE);
int32_t rr_raw_stream_write_move(int32_t stream, int32_t buf, int32_t len)
    RR_IMPORT(RR_IMPORT_STREAM_WRITE_MOVE);
int32_t rr_raw_stream_try_write(int32_t stream, int32_t buf, int32_t len)
    RR_IMPORT(RR_IMPORT_STREAM_TRY_WRITE);
int32_t rr_raw_stream_close(int32_t stream, int32_t abort_status) RR_IMPORT(RR_IMPORT_STREAM_CLOSE);

int32_t rr_raw_send_async(int32_t target, int32_t target_len, int32_t buf, int32_t len,
                          int32_t ticket_out) RR_IMPORT(RR_IMPORT_SEND_ASYNC);
int32_t rr_raw_send_wait(int32_t ticket) RR_IMPORT(RR_IMPORT_SEND_WAIT);

/* Starts a send of len bytes at buf to target and returns at once; *ticket names it for
 * rr_send_wait, which returns its status. The bytes must stay unchanged until then: receivers
 * read them in place. At most RR_MAX_IN_FLIGHT sends are outstanding (RR_ENOMEM, nothing sent,
 * for one more): wait for the oldest before starting the next. */
__attribute__((__warn_unused_result__)) static inline rr_status_t rr_send_async(const char* target,
                                                                                const void* buf,
                                                                                uint32_t len,
                                                                                uint32_t* ticket) {
  return (rr_status_t)rr_raw_send_async((int32_t)(uintptr_t)target, (int32_t)strlen(target),
                                        (int32_t)(uintptr_t)buf, (int32_t)len,
                                        (int32_t)(uintptr_t)ticket);
}

/* Waits for the send that *ticket names and returns its status (RR_EINVAL: not outstanding). */
__attribute__((__warn_unused_result__)) static inline rr_status_t rr_send_wait(uint32_t ticket) {
  return (rr_status_t)rr_raw_send_wait((int32_t)ticket);
}

/* A stream's handle: on the sending side, from rr_stream_open; on the receiving side, the
 * number rr_handle_stream gets. */
typedef uint32_t rr_stream_t;

/* Opens a stream to target (a function, a member or a group); *stream is its handle. Nothing
 * reaches the receiver yet. RR_ENOMEM when RR_MAX_STREAMS are open. */
__attribute__((__warn_unused_result__)) static inline rr_status_t rr_stream_open(
    const char* target, rr_stream_t* stream) {
  return (rr_status_t)rr_raw_stream_open((int32_t)(uintptr_t)target, (int32_t)strlen(target),
                                         (int32_t)(uintptr_t)stream);
}

/* Delivers len bytes at buf as the stream's next chunk. Returns once every receiver holds its
 * copy (the buffer is the caller's again), before the receiver's handler has run on it: a slow
 * receiver makes the writer wait. A failure (an earlier chunk's handler failed, a receiver went
 * away) sticks: later writes return it and deliver nothing. */
__attribute__((__warn_unused_result__)) static inline rr_status_t rr_stream_write(
    rr_stream_t stream, const void* buf, uint32_t len) {
  return (rr_status_t)rr_raw_stream_write((int32_t)stream, (int32_t)(uintptr_t)buf, (int32_t)len);
}

/* rr_stream_write that hands the chunk over instead of lending it (stream_write_move): when it
 * returns, with any status but RR_EFAULT, the len bytes at buf read as zeros and the buffer is
 * the caller's to refill. To one receiver in the same process, the whole pages that buf and the
 * receiver's buffer share an offset in (rr_move_buffer gives such buffers) move without a copy;
 * every other chunk is copied, as by rr_stream_write. Needs a host that has the import. */
__attribute__((__warn_unused_result__)) static inline rr_status_t rr_stream_write_move(
    rr_stream_t stream, void* buf, uint32_t len) {
  return (rr_status_t)rr_raw_stream_write_move((int32_t)stream, (int32_t)(uintptr_t)buf,
                                               (int32_t)len);
}

/* rr_stream_write that never waits for a receiver's earlier work (stream_try_write): RR_EWOULDBLOCK
 * at once, nothing delivered and the stream unchanged, while a receiver is busy (in process:
 * handling or queued another delivery; across processes: the previous chunk not yet answered).
 * Do other work and write again, or call rr_stream_write to wait. Otherwise as rr_stream_write.
 * Needs a host that has the import. */
__attribute__((__warn_unused_result__)) static inline rr_status_t rr_stream_try_write(
    rr_stream_t stream, const void* buf, uint32_t len) {
  return (rr_status_t)rr_raw_stream_try_write((int32_t)stream, (int32_t)(uintptr_t)buf,
                                              (int32_t)len);
}

/* Ends the stream and waits until every receiver's handler has seen the end: RR_OK, or the
 * stream's first failure (then the receivers heard an abort). Frees the handle. */
__attribute__((__warn_unused_result__)) static inline rr_status_t rr_stream_close(
    rr_stream_t stream) {
  return (rr_status_t)rr_raw_stream_close((int32_t)stream, 0);
}

/* Cuts the stream short: each receiver's handler gets RR_STREAM_ABORT with why (0:
 * RR_EUNAVAILABLE). Frees the handle. */
static inline rr_status_t rr_stream_abort(rr_stream_t stream, rr_status_t why) {
  return (rr_status_t)rr_raw_stream_close((int32_t)stream,
                                          (int32_t)(why != 0 ? why : RR_EUNAVAILABLE));
}

/* Delivers len bytes at buf to the function named target. With reply != NULL, the receiver's
 * reply (up to reply_cap bytes) lands in reply and its length in *reply_len. */
__attribute__((__warn_unused_result__)) static inline rr_status_t rr_send_reply(
    const char* target, const void* buf, uint32_t len, void* reply, uint32_t reply_cap,
    uint32_t* reply_len) {
  return (rr_status_t)rr_raw_send((int32_t)(uintptr_t)target, (int32_t)strlen(target),
                                  (int32_t)(uintptr_t)buf, (int32_t)len, (int32_t)(uintptr_t)reply,
                                  (int32_t)reply_cap, (int32_t)(uintptr_t)reply_len);
}

__attribute__((__warn_unused_result__)) static inline rr_status_t rr_send(const char* target,
                                                                          const void* buf,
                                                                          uint32_t len) {
  return rr_send_reply(target, buf, len, NULL, 0, NULL);
}

/* Like rr_send_reply, but hands the payload over: when it returns (any status but RR_EFAULT),
 * buf's len bytes read as zeros and belong to the caller again, to refill or free. The pages of
 * a buffer from rr_move_buffer() move to the receiver without a copy where the host can. */
__attribute__((__warn_unused_result__)) static inline rr_status_t rr_send_move_reply(
    const char* target, void* buf, uint32_t len, void* reply, uint32_t reply_cap,
    uint32_t* reply_len) {
  return (rr_status_t)rr_raw_send_move(
      (int32_t)(uintptr_t)target, (int32_t)strlen(target), (int32_t)(uintptr_t)buf, (int32_t)len,
      (int32_t)(uintptr_t)reply, (int32_t)reply_cap, (int32_t)(uintptr_t)reply_len);
}

__attribute__((__warn_unused_result__)) static inline rr_status_t rr_send_move(const char* target,
                                                                               void* buf,
                                                                               uint32_t len) {
  return rr_send_move_reply(target, buf, len, NULL, 0, NULL);
}

/* A buffer for rr_send_move: page-aligned whole pages, huge-page aligned from RR_HUGE_PAGE_SIZE
 * up (free() it). NULL if out of memory. */
void* rr_move_buffer(uint32_t len);

/* A shared buffer of len bytes (zeros): rr_send() from it maps its whole pages into each
 * receiver copy-on-write instead of copying them: in the same process (embedded edges, a
 * group's members included) and over kernel edges from 1 MiB (its memfd passes to the
 * receiving process). rr_send_move() from it maps them too and leaves the range reading
 * zeros. Page-aligned whole pages; at most 64 at once per function. Free it with
 * rr_shared_buffer_free(buf, len), never free(). NULL if the host cannot share more pages or is
 * out of memory. */
void* rr_shared_buffer(uint32_t len);
void rr_shared_buffer_free(void* buf, uint32_t len);

/* Adds value to the function's own counter name (NUL-terminated, 1 to 64 characters of
 * [A-Za-z0-9_]), which the host exports with its metrics as
 * roadrunner_guest_counter_total{function, name}. At most 32 names per instance (RR_ENOMEM);
 * RR_EINVAL for a bad name. A module that calls it needs a host with the add_counter import. */
static inline rr_status_t rr_count(const char* name, uint32_t value) {
  return (rr_status_t)rr_raw_add_counter((int32_t)(uintptr_t)name, (int32_t)__builtin_strlen(name),
                                         (int32_t)value);
}

/* Records the event name (NUL-terminated, counter rules) in the span the function runs in: its
 * handler run's, or its command's. The host exports it when tracing is on (up --traces) and
 * drops it when off, with the same status: RR_EINVAL for a bad name, RR_ENOMEM past 32 events
 * in one handler run or command run. A module that calls it needs a host with span_event. */
static inline rr_status_t rr_event(const char* name) {
  return (rr_status_t)rr_raw_span_event((int32_t)(uintptr_t)name, (int32_t)__builtin_strlen(name));
}

/* Inside a handler: the bytes the sender receives as its reply. */
__attribute__((__warn_unused_result__)) static inline rr_status_t rr_reply(const void* buf,
                                                                           uint32_t len) {
  return (rr_status_t)rr_raw_reply((int32_t)(uintptr_t)buf, (int32_t)len);
}

/* A readable name for a status ("unknown target"). */
const char* rr_status_name(rr_status_t status);

/* The handler a receiving function defines (the SDK's rr_on_message calls it). Returns 0 on
 * success; any other value reaches the sender as RR_EHANDLER. source is not NUL-terminated. */
int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len);

/* The handler a function that receives streams defines (ROADRUNNER_STREAM_RECEIVER): one call
 * per event, in order per stream. chunk is valid during the call only. */
int32_t rr_handle_stream(rr_stream_t stream, uint32_t event, const uint8_t* chunk, uint32_t len,
                         rr_status_t status);

#ifdef __cplusplus
}
#endif

#if defined(ROADRUNNER_STREAM_RECEIVER) && !defined(ROADRUNNER_BUFFERS)
#define ROADRUNNER_BUFFERS
#endif
#if defined(ROADRUNNER_RECEIVER) && !defined(ROADRUNNER_BUFFERS)
#define ROADRUNNER_BUFFERS
#endif
#if defined(ROADRUNNER_BUFFERS) && !defined(ROADRUNNER_IMPLEMENTATION)
#define ROADRUNNER_IMPLEMENTATION
#endif

#ifdef ROADRUNNER_IMPLEMENTATION
#include <stdlib.h>

#define RR_EXPORT(name) __attribute__((__export_name__(name)))

#ifdef __cplusplus
extern "C" {
#endif

RR_EXPORT(RR_EXPORT_ABI_VERSION) uint32_t rr_abi_version(void) { return RR_ABI_VERSION; }

/* Page-aligned whole pages, and aligned to a huge page from RR_HUGE_PAGE_SIZE up. */
static uint32_t rr_alignment_for(uint32_t len) {
  return len >= RR_HUGE_PAGE_SIZE ? RR_HUGE_PAGE_SIZE : RR_PAGE_SIZE;
}

void* rr_move_buffer(uint32_t len) {
  const uint32_t rounded = (len + RR_PAGE_SIZE - 1) & ~(RR_PAGE_SIZE - 1);
  if (rounded < len) {
    return NULL;
  }
  return aligned_alloc(rr_alignment_for(rounded), rounded ? rounded : RR_PAGE_SIZE);
}

void* rr_shared_buffer(uint32_t len) {
  const uint32_t rounded = (len + RR_PAGE_SIZE - 1) & ~(RR_PAGE_SIZE - 1);
  if (len == 0 || rounded < len) {
    return NULL;
  }
  void* buf = aligned_alloc(rr_alignment_for(rounded), rounded);
  if (buf != NULL && rr_raw_share_pages((int32_t)(uintptr_t)buf, (int32_t)rounded) != RR_OK) {
    free(buf);
    return NULL;
  }
  return buf;
}

void rr_shared_buffer_free(void* buf, uint32_t len) {
  const uint32_t rounded = (len + RR_PAGE_SIZE - 1) & ~(RR_PAGE_SIZE - 1);
  if (buf != NULL) {
    /* Private pages again before the allocator reuses the range; a range that was never
     * shared is refused and freed all the same. */
    (void)rr_raw_unshare_pages((int32_t)(uintptr_t)buf, (int32_t)rounded);
    free(buf);
  }
}

const char* rr_status_name(rr_status_t status) {
  static const char* const kNames[] = {
      "ok",
      "unknown target",
      "target not declared",
      "payload too large",
      "receiver out of memory",
      "bad receiver buffer",
      "receiver failed",
      "handler error",
      "bad pointer",
      "reply too large",
      "no message to reply to",
      "receiver unavailable",
      "timed out",
      "protocol error",
      "invalid argument",
      "receiver exited",
      "receiver takes no streams",
      "would block",
  };
  return status <= RR_STATUS_MAX ? kNames[status] : "unknown status";
}

#ifdef ROADRUNNER_BUFFERS
#ifndef ROADRUNNER_CUSTOM_ALLOC
/* Page-aligned and rounded up to whole pages, so a host may map or move pages into the buffer;
 * huge-page aligned from RR_HUGE_PAGE_SIZE up. */
__attribute__((weak)) RR_EXPORT(RR_EXPORT_ALLOC) uint32_t rr_alloc(uint32_t len) {
  const uint32_t rounded = (len + RR_PAGE_SIZE - 1) & ~(RR_PAGE_SIZE - 1);
  if (len == 0 || rounded < len) {
    return 0;
  }
  return (uint32_t)(uintptr_t)aligned_alloc(rr_alignment_for(rounded), rounded);
}
#else
__attribute__((export_name(RR_EXPORT_ALLOC))) uint32_t rr_alloc(uint32_t len);
#endif

__attribute__((weak)) RR_EXPORT(RR_EXPORT_RELEASE) void rr_release(uint32_t buf, uint32_t len) {
  (void)len;
  free((void*)(uintptr_t)buf);
}

#endif /* ROADRUNNER_BUFFERS */

#ifdef ROADRUNNER_REUSE_BUFFERS
RR_EXPORT(RR_EXPORT_REUSE_BUFFERS) int32_t rr_reuse_buffers(void) { return 1; }
#endif

#ifdef ROADRUNNER_RECEIVER
__attribute__((weak)) RR_EXPORT(RR_EXPORT_ON_MESSAGE) int32_t
    rr_on_message(uint32_t buf, uint32_t len, uint32_t source, uint32_t source_len) {
  return rr_handle((const uint8_t*)(uintptr_t)buf, len, (const char*)(uintptr_t)source, source_len);
}
#endif /* ROADRUNNER_RECEIVER */

#ifdef ROADRUNNER_STREAM_RECEIVER
__attribute__((weak)) RR_EXPORT(RR_EXPORT_ON_STREAM) int32_t
    rr_on_stream(uint32_t stream, uint32_t event, uint32_t buf, uint32_t len, uint32_t status) {
  return rr_handle_stream(stream, event, (const uint8_t*)(uintptr_t)buf, len, status);
}
#endif /* ROADRUNNER_STREAM_RECEIVER */

#ifdef __cplusplus
}
#endif
#endif /* ROADRUNNER_IMPLEMENTATION */

#endif /* ROADRUNNER_GUEST_ROADRUNNER_H */
