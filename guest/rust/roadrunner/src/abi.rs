//! The guest ABI's names and numbers, from `guest/include/roadrunner/guest/abi.h`.
//!
//! Retyped from the C header; `tests/runtime/rust_guest_test.cc` runs `tests/guests/rust/abi_dump`
//! (which prints every item below) and compares each with the header's macro, so a drift fails
//! the suite.

/// The host's import module.
pub const MODULE: &str = "roadrunner";
/// The ABI version this SDK speaks (`RR_ABI_VERSION`), returned by the `rr_abi_version` export.
pub const ABI_VERSION: u32 = 1;

/// Import names.
pub const IMPORT_SEND: &str = "send";
pub const IMPORT_REPLY: &str = "reply";
pub const IMPORT_SEND_MOVE: &str = "send_move";
pub const IMPORT_SHARE_PAGES: &str = "share_pages";
pub const IMPORT_UNSHARE_PAGES: &str = "unshare_pages";
pub const IMPORT_STREAM_OPEN: &str = "stream_open";
pub const IMPORT_STREAM_WRITE: &str = "stream_write";
pub const IMPORT_STREAM_WRITE_MOVE: &str = "stream_write_move";
pub const IMPORT_STREAM_TRY_WRITE: &str = "stream_try_write";
pub const IMPORT_STREAM_CLOSE: &str = "stream_close";
pub const IMPORT_SEND_ASYNC: &str = "send_async";
pub const IMPORT_SEND_WAIT: &str = "send_wait";

/// Export names.
pub const EXPORT_ABI_VERSION: &str = "rr_abi_version";
pub const EXPORT_ALLOC: &str = "rr_alloc";
pub const EXPORT_ON_MESSAGE: &str = "rr_on_message";
pub const EXPORT_RELEASE: &str = "rr_release";
pub const EXPORT_ON_STREAM: &str = "rr_on_stream";
/// Optional: `extern "C" fn rr_reuse_buffers() -> i32`, non-zero when the receiver keeps no
/// buffer past its handler, so the host may deliver a shared range's next payload into the same
/// buffer, still mapped (abi.h).
pub const EXPORT_REUSE_BUFFERS: &str = "rr_reuse_buffers";

/// `rr_on_stream` events: a chunk, the end, an abort.
pub const STREAM_DATA: u32 = 0;
pub const STREAM_END: u32 = 1;
pub const STREAM_ABORT: u32 = 2;
/// Streams one instance may hold open at once (`stream_open`: `RR_ENOMEM` after).
pub const MAX_STREAMS: u32 = 16;
/// Streams one receiving instance takes at once (a stream's first chunk: `RR_ENOMEM` after).
pub const MAX_STREAMS_IN: u32 = 64;
/// `send_async` tickets one instance may hold outstanding (started, not yet waited for);
/// `RR_ENOMEM` for one more.
pub const MAX_IN_FLIGHT: u32 = 8;

/// `rr_alloc` must return buffers aligned to at least this many bytes.
pub const ALLOC_ALIGN: u32 = 8;
/// Buffers aligned to a page and rounded up to whole pages let a host map pages.
pub const PAGE_SIZE: u32 = 4096;
/// Buffers of at least this size aligned to it move as whole 2 MiB pages (`PageBuf` and the
/// SDK's `rr_alloc` align them so).
pub const HUGE_PAGE_SIZE: u32 = 2 << 20;

/// Status codes (`RR_OK` … `RR_EWOULDBLOCK`).
pub const OK: u32 = 0;
pub const EUNKNOWN_TARGET: u32 = 1;
pub const ENOT_ALLOWED: u32 = 2;
pub const ETOO_LARGE: u32 = 3;
pub const ENOMEM: u32 = 4;
pub const EBAD_ALLOC: u32 = 5;
pub const ERECEIVER_FAILED: u32 = 6;
pub const EHANDLER: u32 = 7;
pub const EFAULT: u32 = 8;
pub const EREPLY_TOO_LARGE: u32 = 9;
pub const ENO_REPLY_CONTEXT: u32 = 10;
pub const EUNAVAILABLE: u32 = 11;
pub const ETIMEDOUT: u32 = 12;
pub const EPROTO: u32 = 13;
pub const EINVAL: u32 = 14;
pub const EEXITED: u32 = 15;
pub const ENO_STREAMS: u32 = 16;
pub const EWOULDBLOCK: u32 = 17;
/// The largest status the ABI defines.
pub const STATUS_MAX: u32 = EWOULDBLOCK;
