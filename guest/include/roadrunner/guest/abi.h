/* Roadrunner guest ABI: the contract between a Wasm function and the Roadrunner host.
 *
 * Data only (names, numbers, status codes), shared by the guest SDK and the host; the host
 * includes it under -Wold-style-cast, so constants use UINT32_C. Described in docs/abi.md.
 *
 * Imports, module "roadrunner" (all i32):
 *   send(target, target_len, buf, len, reply, reply_cap, reply_len_out) -> status
 *   send_move(the same) -> status                   (hands buf's pages over; see below)
 *   reply(buf, len) -> status                       (only inside rr_on_message)
 *   share_pages(buf, len) -> status                 (backs a buffer with shareable pages)
 *   unshare_pages(buf, len) -> status               (undoes share_pages before a free)
 *   add_counter(name, name_len, value) -> status    (adds to one of the function's counters)
 *   span_event(name, name_len) -> status            (an event in the function's span)
 *   stream_open(target, target_len, stream_out) -> status
 *   stream_write(stream, buf, len) -> status        (one chunk; blocks while the receiver is busy)
 *   stream_write_move(stream, buf, len) -> status   (the same, handing buf's pages over)
 *   stream_try_write(stream, buf, len) -> status    (stream_write, or RR_EWOULDBLOCK at once)
 *   stream_close(stream, abort_status) -> status    (0: the end, else an abort)
 *   send_async(target, target_len, buf, len, ticket_out) -> status   (starts a send)
 *   send_wait(ticket) -> status                     (waits for it: the send's status)
 * Exports a receiver provides (the SDK has defaults for all but the handler):
 *   rr_abi_version() -> RR_ABI_VERSION
 *   rr_alloc(len) -> ptr                            (0: cannot allocate)
 *   rr_on_message(buf, len, source, source_len) -> 0 or an error of the function's own
 *   rr_release(buf, len)                            (the host is done with buf)
 *   rr_on_stream(stream, event, buf, len, status) -> 0 or an error   (a receiver of streams)
 */
#ifndef ROADRUNNER_GUEST_ABI_H
#define ROADRUNNER_GUEST_ABI_H

#include <stdint.h>

#define RR_ABI_MODULE "roadrunner"
#define RR_ABI_VERSION UINT32_C(1)

/* Import names. */
#define RR_IMPORT_SEND "send"
#define RR_IMPORT_REPLY "reply"
/* send_move: a send that hands the payload over instead of lending it. When it returns, with
 * any status but RR_EFAULT, [buf, buf + len) reads as zeros: the bytes went to the receiver (or
 * were dropped with a failed delivery). Whole pages that the sender's buffer and the receiver's
 * share an offset in move without a copy where the host can move them (embedded mode); the rest
 * is copied. A module that imports it needs a host that provides it (an older host refuses the
 * module at instantiation, naming the import). */
#define RR_IMPORT_SEND_MOVE "send_move"
/* share_pages: backs [buf, buf + len) (both multiples of RR_PAGE_SIZE) with pages the host can
 * share; the range reads as zeros afterwards. A send or send_move whose payload starts on a
 * page of such a range maps the payload's whole pages into each receiver, copy-on-write,
 * instead of copying them (in the same process, and over kernel edges through the memfd): a
 * group of N receivers costs no copy. Each receiver's
 * writes stay its own; the sender's writes after the send returns reach no receiver. At most 64
 * shared ranges at once per instance, none overlapping another (RR_EINVAL; asking again for the
 * same range is RR_OK); RR_ENOMEM when 64 are shared. unshare_pages gives a shared range back
 * to private zero pages: call it before the range is freed or reused for anything else. */
#define RR_IMPORT_SHARE_PAGES "share_pages"
#define RR_IMPORT_UNSHARE_PAGES "unshare_pages"
/* add_counter: adds value (unsigned) to the function's counter called [name, name + name_len),
 * which its host exports as roadrunner_guest_counter_total{function, name}. A name is 1 to 64
 * characters of [A-Za-z0-9_] (else RR_EINVAL); an instance has at most 32 names (RR_ENOMEM for
 * a 33rd); a name outside memory is RR_EFAULT. */
#define RR_IMPORT_ADD_COUNTER "add_counter"
/* span_event: records the event [name, name + name_len) in the span the function runs in (its
 * handler run's, or its command's), which its host exports with OpenTelemetry when tracing is on;
 * RR_OK and nothing recorded when it is off. A name follows add_counter's rule (else RR_EINVAL);
 * at most 32 events per handler run, or per command run (RR_ENOMEM after); a name outside
 * memory is RR_EFAULT. The statuses are the same whether tracing is on or off. */
#define RR_IMPORT_SPAN_EVENT "span_event"
/* Streams: a sender opens a stream to one target (a function, a member or a fan-out group),
 * writes chunks and closes it. stream_open writes a handle (1..RR_MAX_STREAMS) to *stream_out;
 * nothing reaches the receiver yet. stream_write delivers [buf, buf + len) as one chunk: it
 * returns once every receiver holds a copy of it in its own memory (its handler for the
 * previous chunk has returned), not when the handler for this one has, so a sender fills its
 * next chunk while the receiver works on this one; a slow receiver makes its sender wait. It
 * returns the stream's first failure so far (a handler that returned non-zero or trapped on an
 * earlier chunk), after which nothing more is delivered. stream_close(stream, 0) delivers the
 * end and waits until every receiver's handler has seen it, returning the stream's result;
 * stream_close(stream, code) with code != 0 delivers an abort carrying code instead. Either
 * frees the handle. A function's streams still open when its instance ends (a trap, proc_exit,
 * _start returning) are aborted with RR_EUNAVAILABLE: a receiver never takes a cut stream for a
 * complete one. Modules that import these need a host that has them. */
#define RR_IMPORT_STREAM_OPEN "stream_open"
#define RR_IMPORT_STREAM_WRITE "stream_write"
#define RR_IMPORT_STREAM_CLOSE "stream_close"
/* stream_write_move: stream_write that hands the chunk over, as send_move does a payload. When
 * it returns, with any status but RR_EFAULT, [buf, buf + len) reads as zeros. To one receiver in
 * the same process, the whole pages that the sender's buffer and the receiver's share an offset
 * in move without a copy; the rest, and every chunk to a group or another process, is copied.
 * A module that imports it needs a host that provides it. */
#define RR_IMPORT_STREAM_WRITE_MOVE "stream_write_move"
/* stream_try_write: stream_write that never waits for a receiver's earlier work. When a receiver
 * is not ready to take a chunk at once (in the same process: its function is handling, or has
 * queued, another delivery; in another process: it has not yet answered the stream's previous
 * chunk), it returns RR_EWOULDBLOCK at once, delivers nothing and leaves the stream as it was:
 * the sender may do other work and write the same chunk, or another, later (stream_write waits
 * instead). Otherwise it is stream_write, with its statuses: it returns once every receiver
 * holds the chunk, which then costs only the copy, except that a chunk larger than a socket
 * connection's send buffer (1 MiB) may wait while the receiving host reads what did not fit. A
 * module that imports it needs a host that provides it. */
#define RR_IMPORT_STREAM_TRY_WRITE "stream_try_write"
/* send_async starts a send of [buf, buf + len) to target (as send, without a reply) and returns
 * at once, writing a ticket (non-zero) to *ticket_out; send_wait(ticket) waits until the send
 * is done and returns its status, freeing the ticket. Until then the receivers read the bytes in
 * place: the sender must not change them (doing so changes only what the receivers see; its
 * memory may grow). Statuses decided before anything is sent (RR_EFAULT, RR_EINVAL,
 * RR_EUNKNOWN_TARGET, RR_ENOT_ALLOWED) come from send_async itself, with no ticket. At most
 * RR_MAX_IN_FLIGHT tickets are outstanding (started and not yet waited for): send_async returns
 * RR_ENOMEM, sending nothing, when that many are. An instance that ends (a trap, proc_exit,
 * _start returning) with sends outstanding waits for them first. */
#define RR_IMPORT_SEND_ASYNC "send_async"
#define RR_IMPORT_SEND_WAIT "send_wait"
#define RR_MAX_IN_FLIGHT UINT32_C(8)
/* Streams one instance may hold open at once (stream_open: RR_ENOMEM after), and streams one
 * receiving instance takes at once (a stream's first chunk: RR_ENOMEM after). */
#define RR_MAX_STREAMS UINT32_C(16)
#define RR_MAX_STREAMS_IN UINT32_C(64)

/* Export names. */
#define RR_EXPORT_ABI_VERSION "rr_abi_version"
#define RR_EXPORT_ALLOC "rr_alloc"
#define RR_EXPORT_ON_MESSAGE "rr_on_message"
#define RR_EXPORT_RELEASE "rr_release"
/* Optional: int32_t rr_reuse_buffers(void), called once when the instance is made; non-zero
 * says the guest keeps no buffer the host delivered into past its handler (its rr_release frees
 * it). The host may then hold the mapping of a payload from a sender's shared buffer in the
 * receiving buffer after the handler, and deliver the next payload of the same range there
 * again, with no rr_release, rr_alloc or mapping in between: the handler sees the same `buf`.
 * Before the instance runs any other code (another delivery, a stream event) the host puts
 * zero pages over a held buffer and calls rr_release for it, so no guest code ever reads
 * what the sender writes there later. */
#define RR_EXPORT_REUSE_BUFFERS "rr_reuse_buffers"
/* rr_on_stream(stream, event, buf, len, status): one event of an incoming stream. `stream`
 * names the stream within the receiving instance (distinct among its open streams). Chunks
 * arrive in the order written, in a buffer from rr_alloc that the handler must not keep: after
 * the call the host releases it, or lands the stream's next chunk in it (and releases it before
 * the instance runs anything else: an end, an abort, a message); then
 * exactly one RR_STREAM_END (buf = len = 0) or RR_STREAM_ABORT (`status`: the sender's abort
 * code, or RR_EUNAVAILABLE when the sender or its connection went away), unless the receiving
 * instance is replaced after a trap, which fails its open streams (their senders get
 * RR_ERECEIVER_FAILED). A non-zero return fails the stream: its sender gets RR_EHANDLER. */
#define RR_EXPORT_ON_STREAM "rr_on_stream"
#define RR_STREAM_DATA UINT32_C(0)
#define RR_STREAM_END UINT32_C(1)
#define RR_STREAM_ABORT UINT32_C(2)

/* rr_alloc must return a buffer aligned to at least this many bytes. Buffers aligned to
 * RR_PAGE_SIZE (and a length rounded up to it) let a host map pages instead of copying. */
#define RR_ALLOC_ALIGN UINT32_C(8)
#define RR_PAGE_SIZE UINT32_C(4096)
/* A move between buffers that are both aligned to RR_HUGE_PAGE_SIZE hands over one page-table
 * entry per 2 MiB instead of one per 4 KiB page (the host's pages are huge there). The C SDK's
 * rr_move_buffer and rr_alloc align buffers of at least this size to it. */
#define RR_HUGE_PAGE_SIZE UINT32_C(2097152)

typedef uint32_t rr_status_t;

#define RR_OK UINT32_C(0)               /* delivered; the handler returned 0 */
#define RR_EUNKNOWN_TARGET UINT32_C(1)  /* no function of that name */
#define RR_ENOT_ALLOWED UINT32_C(2)     /* the workflow does not declare that edge */
#define RR_ETOO_LARGE UINT32_C(3)       /* payload over the receiver's limit */
#define RR_ENOMEM UINT32_C(4)           /* the receiver's rr_alloc returned 0 */
#define RR_EBAD_ALLOC UINT32_C(5)       /* rr_alloc returned an out-of-range or misaligned buffer */
#define RR_ERECEIVER_FAILED UINT32_C(6) /* the receiver's handler trapped */
#define RR_EHANDLER UINT32_C(7)         /* the receiver's handler returned non-zero */
#define RR_EFAULT UINT32_C(8)           /* a pointer or length outside the caller's memory */
#define RR_EREPLY_TOO_LARGE UINT32_C(9) /* the reply did not fit; *reply_len_out holds its size */
#define RR_ENO_REPLY_CONTEXT UINT32_C(10) /* reply() called outside rr_on_message */
#define RR_EUNAVAILABLE UINT32_C(11)      /* the receiver is unreachable or went away */
#define RR_ETIMEDOUT UINT32_C(12)         /* the receiver did not finish in time */
#define RR_EPROTO UINT32_C(13)            /* the transport broke its protocol */
#define RR_EINVAL UINT32_C(14)            /* a malformed argument, e.g. an empty target name */
#define RR_EEXITED UINT32_C(15)     /* the receiver called proc_exit while serving the message */
#define RR_ENO_STREAMS UINT32_C(16) /* the receiver takes no streams (exports no rr_on_stream) */
#define RR_EWOULDBLOCK UINT32_C(17) /* stream_try_write: a receiver is busy; nothing was sent */

#define RR_STATUS_MAX RR_EWOULDBLOCK

#endif /* ROADRUNNER_GUEST_ABI_H */
