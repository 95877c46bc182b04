//! Roadrunner guest SDK for Rust: functions on WasmEdge that hand bytes to each other through
//! the Roadrunner host, with no serialization and no copy beyond the host's one.
//!
//! A sender (a WASI command, a `[[bin]]`):
//!
//! ```no_run
//! let reply = &mut [0u8; 64];
//! match roadrunner::request("counter", b"some words to count", reply) {
//!     Ok(n) => println!("counter says {}", String::from_utf8_lossy(&reply[..n])),
//!     Err(status) => eprintln!("send to counter: {status}"),
//! }
//! ```
//!
//! A receiver (a `cdylib`): one handler, and `receiver!` makes the exports the host calls.
//!
//! ```no_run
//! fn handle(payload: &mut [u8], source: &str) -> Result<(), roadrunner::Status> {
//!     eprintln!("{} bytes from {source}", payload.len());
//!     roadrunner::reply(b"thanks")
//! }
//! roadrunner::receiver!(handle);
//! ```
//!
//! A stream (`Stream`) carries any number of chunks to one target, which takes them with
//! `stream_receiver!`:
//!
//! ```no_run
//! use roadrunner::StreamEvent;
//!
//! fn on_stream(stream: u32, event: StreamEvent<'_>) -> Result<(), roadrunner::Status> {
//!     match event {
//!         StreamEvent::Data(chunk) => eprintln!("stream {stream}: {} bytes", chunk.len()),
//!         StreamEvent::End => eprintln!("stream {stream}: complete"),
//!         StreamEvent::Abort(code) => eprintln!("stream {stream}: aborted with {code}"),
//!     }
//!     Ok(())
//! }
//! roadrunner::stream_receiver!(on_stream);
//! ```
//!
//! `send_async` starts a send and returns at once; the `PendingSend` it gives borrows the payload
//! until the send is waited for:
//!
//! ```no_run
//! let payloads = [vec![1u8; 1 << 20], vec![2u8; 1 << 20]];
//! let pending: Vec<_> = payloads
//!     .iter()
//!     .map(|p| roadrunner::send_async("sink", p))
//!     .collect::<Result<_, _>>()?;
//! for sent in pending {
//!     sent.wait()?;
//! }
//! # Ok::<(), roadrunner::Status>(())
//! ```
//!
//! The `unsafe` code is in this crate only, each block with the reason it is sound; user code
//! needs none.

pub mod abi;
mod async_send;
mod page_buf;
pub mod raw;
mod receiver;
mod status;
mod stream;

pub use async_send::{send_async, PendingSend};
pub use page_buf::{PageBuf, SharedBuf};
pub use status::Status;
pub use stream::{Stream, StreamEvent};

#[doc(hidden)]
pub mod __private {
    pub use crate::receiver::{alloc, initialize, on_message, on_stream, release};
}

/// A wasm32 address: linear memory is below 4 GiB, so every pointer and length fits in 32 bits.
fn addr<T>(p: *const T) -> u32 {
    p as usize as u32
}

/// A slice's length for the ABI. A wasm32 slice is never longer than 4 GiB - 1.
fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Delivers `payload` to the function named `target` and waits until its handler returned.
pub fn send(target: &str, payload: &[u8]) -> Result<(), Status> {
    let (result, _) = send_with_reply(target, payload, &mut []);
    match result {
        // The receiver replied, and the sender asked for no reply: that is no failure.
        Err(Status::ReplyTooLarge) => Ok(()),
        other => other,
    }
}

/// Like `send`; the receiver's reply lands in `reply`. Returns the reply's length.
/// `Err(Status::ReplyTooLarge)` when it did not fit; `send_with_reply` tells its full length.
pub fn request(target: &str, payload: &[u8], reply: &mut [u8]) -> Result<usize, Status> {
    let (result, reply_len) = send_with_reply(target, payload, reply);
    result.map(|()| reply_len)
}

/// The ABI's `send` as it is: the status and the reply's full length, which is larger than
/// `reply.len()` when the status is `ReplyTooLarge`.
pub fn send_with_reply(
    target: &str,
    payload: &[u8],
    reply: &mut [u8],
) -> (Result<(), Status>, usize) {
    let mut reply_len: u32 = 0;
    // SAFETY: every pointer comes from a live Rust reference and its length from the same slice,
    // so the host reads `target` and `payload` and writes at most `reply.len()` bytes of `reply`
    // and the four bytes of `reply_len`, all inside this module's memory. The host is done with
    // all of them when the call returns (the sender's thread is blocked in it until then).
    let raw = unsafe {
        raw::send(
            addr(target.as_ptr()),
            len32(target.len()),
            addr(payload.as_ptr()),
            len32(payload.len()),
            addr(reply.as_mut_ptr()),
            len32(reply.len()),
            addr(&mut reply_len as *mut u32),
        )
    };
    (Status::check(raw), reply_len as usize)
}

/// What `send_move` gives back: the result (the reply's length, as `request`) and the buffer,
/// whose bytes now read as zeros and which is the sender's to refill or drop.
pub struct Moved {
    pub result: Result<usize, Status>,
    pub buffer: PageBuf,
}

/// Hands `payload`'s bytes to `target` instead of lending them (the ABI's `send_move`): in
/// embedded mode its whole pages move to the receiver without a copy. The call takes the buffer
/// and gives it back emptied, so the change of owner shows where it happens.
///
/// ```no_run
/// let mut buf = roadrunner::PageBuf::zeroed(4 << 20).expect("memory");
/// buf.fill(7);
/// let moved = roadrunner::send_move("next", buf, &mut []);
/// assert!(moved.buffer.iter().all(|&b| b == 0));
/// ```
pub fn send_move(target: &str, mut payload: PageBuf, reply: &mut [u8]) -> Moved {
    let mut reply_len: u32 = 0;
    let bytes: &mut [u8] = &mut payload;
    // SAFETY: as in `send_with_reply`; the payload is borrowed mutably because the host empties
    // it (its pages move away and it reads as zeros), inside this module's memory and before
    // the call returns.
    let raw = unsafe {
        raw::send_move(
            addr(target.as_ptr()),
            len32(target.len()),
            addr(bytes.as_mut_ptr()),
            len32(bytes.len()),
            addr(reply.as_mut_ptr()),
            len32(reply.len()),
            addr(&mut reply_len as *mut u32),
        )
    };
    Moved {
        result: Status::check(raw).map(|()| reply_len as usize),
        buffer: payload,
    }
}

/// Sends to member `k` of the fan-out group `group` (the instance named `group#k`).
pub fn send_to_member(group: &str, k: u32, payload: &[u8]) -> Result<(), Status> {
    send(&format!("{group}#{k}"), payload)
}

/// Inside a handler: the bytes the sender receives as its reply. `Err(NoReplyContext)` outside
/// one; a second reply replaces the first.
pub fn reply(bytes: &[u8]) -> Result<(), Status> {
    // SAFETY: the pointer and length come from one live slice; the host only reads it, before
    // the call returns.
    Status::check(unsafe { raw::reply(addr(bytes.as_ptr()), len32(bytes.len())) })
}

/// Adds `value` to the function's own counter `name` (1 to 64 characters of `[A-Za-z0-9_]`),
/// which the host exports with its metrics as `roadrunner_guest_counter_total{function, name}`.
/// At most 32 names per instance (`Err(Status::NoMemory)`); a bad name is `Err(Status::Invalid)`.
pub fn count(name: &str, value: u32) -> Result<(), Status> {
    // SAFETY: the pointer and length come from one live string; the host only reads it, before
    // the call returns.
    Status::check(unsafe { raw::add_counter(addr(name.as_ptr()), len32(name.len()), value) })
}

/// Records the event `name` (the rule of [`count`]'s names) in the span the function runs in:
/// its handler run's, or its command's. The host exports it when it traces (`up --traces`) and
/// drops it otherwise, with the same result: `Err(Status::Invalid)` for a bad name,
/// `Err(Status::NoMemory)` past 32 events in one handler run or command run.
pub fn event(name: &str) -> Result<(), Status> {
    // SAFETY: the pointer and length come from one live string; the host only reads it, before
    // the call returns.
    Status::check(unsafe { raw::span_event(addr(name.as_ptr()), len32(name.len())) })
}

/// Makes a crate a receiver: exports `rr_on_message` calling `handler`, plus the SDK's
/// `rr_alloc` (page-aligned, whole pages), `rr_release`, `rr_abi_version` and `_initialize`.
///
/// `handler: fn(&mut [u8], &str) -> Result<(), E>` gets the payload in place (the host's one
/// copy landed there) and the sender's instance name. An `Err` reaches the sender as
/// `Status::HandlerError`; a panic as `Status::ReceiverFailed`.
///
/// `receiver!(handler, streams: stream_handler)` takes streams too: it adds `rr_on_stream` as
/// `stream_receiver!` does, beside one set of the shared exports (a crate invokes one of these
/// macros once; two would define `rr_alloc` twice).
#[macro_export]
macro_rules! receiver {
    ($handler:path) => {
        $crate::__on_message_export!($handler);
        $crate::__receiver_exports!();
    };
    ($handler:path, streams: $stream_handler:path $(,)?) => {
        $crate::__on_message_export!($handler);
        $crate::__on_stream_export!($stream_handler);
        $crate::__receiver_exports!();
    };
}

/// Makes a crate a receiver of streams: exports `rr_on_stream` calling `handler`, plus the
/// exports every receiver has (`rr_alloc`, `rr_release`, `rr_abi_version`, `_initialize`). A
/// crate that takes messages too uses `receiver!(handler, streams: stream_handler)` instead.
///
/// `handler: fn(u32, StreamEvent<'_>) -> Result<(), E>` gets each event of each incoming
/// stream with the stream's number, which is distinct among the streams open in this instance
/// (the host reuses a number after the stream's last event): every chunk in order as
/// `StreamEvent::Data`, in place, then one `End` or `Abort`. Streams from several senders may be
/// open at once, their events interleaved, so state kept per stream is keyed by the number. An
/// `Err` or a panic fails the stream: its sender gets `Status::HandlerError` or
/// `Status::ReceiverFailed` and no more of its chunks arrive.
#[macro_export]
macro_rules! stream_receiver {
    ($handler:path $(,)?) => {
        $crate::__on_stream_export!($handler);
        $crate::__receiver_exports!();
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __on_message_export {
    ($handler:path) => {
        #[export_name = "rr_on_message"]
        pub extern "C" fn __roadrunner_on_message(
            buf: u32,
            len: u32,
            source: u32,
            source_len: u32,
        ) -> i32 {
            $crate::__private::on_message(buf, len, source, source_len, $handler)
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __on_stream_export {
    ($handler:path) => {
        #[export_name = "rr_on_stream"]
        pub extern "C" fn __roadrunner_on_stream(
            stream: u32,
            event: u32,
            buf: u32,
            len: u32,
            status: u32,
        ) -> i32 {
            $crate::__private::on_stream(stream, event, buf, len, status, $handler)
        }
    };
}

/// The exports every receiver has, whatever it takes.
#[doc(hidden)]
#[macro_export]
macro_rules! __receiver_exports {
    () => {
        #[export_name = "rr_alloc"]
        pub extern "C" fn __roadrunner_alloc(len: u32) -> u32 {
            $crate::__private::alloc(len)
        }
        #[export_name = "rr_release"]
        pub extern "C" fn __roadrunner_release(buf: u32, len: u32) {
            $crate::__private::release(buf, len)
        }
        #[export_name = "rr_abi_version"]
        pub extern "C" fn __roadrunner_abi_version() -> u32 {
            $crate::abi::ABI_VERSION
        }
        #[export_name = "_initialize"]
        pub extern "C" fn __roadrunner_initialize() {
            $crate::__private::initialize()
        }
    };
}
