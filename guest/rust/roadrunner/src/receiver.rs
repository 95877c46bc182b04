//! The receiver's side of the ABI: the exports `receiver!` forwards to.

use std::alloc::{self, Layout};

use crate::abi;
use crate::page_buf::PageBuf;
use crate::stream::StreamEvent;

/// The layout of a buffer for `len` bytes: `PageBuf`'s (page-aligned whole pages, huge-page
/// aligned from 2 MiB up), so a host may map or move pages into it. `None` for 0 bytes or a size
/// past the address space.
fn layout(len: u32) -> Option<Layout> {
    if len == 0 {
        return None;
    }
    PageBuf::layout(len as usize)
}

/// `rr_alloc`: a fresh buffer of at least `len` bytes, or 0 when it cannot allocate.
pub fn alloc(len: u32) -> u32 {
    match layout(len) {
        // SAFETY: the layout has a non-zero size. A null result is passed on as 0, which the
        // host reports to the sender as `RR_ENOMEM`.
        Some(l) => unsafe { alloc::alloc(l) as usize as u32 },
        None => 0,
    }
}

/// `rr_release`: the host is done with a buffer from `alloc(len)`.
pub fn release(buf: u32, len: u32) {
    if let (Some(l), true) = (layout(len), buf != 0) {
        // SAFETY: the host hands back exactly the (buf, len) pairs `alloc` returned, once each,
        // after the handler that borrowed the buffer has returned; the layout is recomputed from
        // the same `len`, so it is the one the buffer was allocated with.
        unsafe { alloc::dealloc(buf as usize as *mut u8, l) }
    }
}

/// `rr_on_message`: lends the payload and the sender's name to the handler.
pub fn on_message<E>(
    buf: u32,
    len: u32,
    source: u32,
    source_len: u32,
    handler: fn(&mut [u8], &str) -> Result<(), E>,
) -> i32 {
    let payload: &mut [u8] = if len == 0 {
        &mut []
    } else {
        // SAFETY: the host called `alloc(len)`, got `buf`, checked that [buf, buf+len) lies in
        // this memory and filled it; nothing else refers to that buffer until the host calls
        // `release`, which is after this function returns. So this is the only reference.
        unsafe { std::slice::from_raw_parts_mut(buf as usize as *mut u8, len as usize) }
    };
    let name: &[u8] = if source_len == 0 {
        &[]
    } else {
        // SAFETY: as for the payload: a buffer of its own from `alloc(source_len)`, filled by
        // the host and left alone until after the handler returned.
        unsafe { std::slice::from_raw_parts(source as usize as *const u8, source_len as usize) }
    };
    // Instance names are ASCII (the host checks them); anything else would be a host bug.
    let source = std::str::from_utf8(name).unwrap_or("");
    match handler(payload, source) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// `rr_on_stream`: lends one event of stream `stream` to the handler. A chunk's buffer is
/// `alloc(len)`'s, released by the host after the call or kept for the stream's next chunk.
pub fn on_stream<E>(
    stream: u32,
    event: u32,
    buf: u32,
    len: u32,
    status: u32,
    handler: fn(u32, StreamEvent<'_>) -> Result<(), E>,
) -> i32 {
    let event = match event {
        abi::STREAM_DATA => StreamEvent::Data(if len == 0 {
            &mut []
        } else {
            // SAFETY: as in `on_message`: the host called `alloc(len)`, got `buf`, checked that
            // [buf, buf+len) lies in this memory and filled it, and releases it only after this
            // function returns, so this is the only reference to it.
            unsafe { std::slice::from_raw_parts_mut(buf as usize as *mut u8, len as usize) }
        }),
        abi::STREAM_END => StreamEvent::End,
        abi::STREAM_ABORT => StreamEvent::Abort(status),
        // An event this SDK does not know: a host that breaks the ABI. Fail the stream.
        _ => return 1,
    };
    match handler(stream, event) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// `_initialize`: the C library's constructors (WASI preopens among them), as a reactor's
/// start-up runs them. A cdylib has no start function of its own.
pub fn initialize() {
    #[cfg(target_arch = "wasm32")]
    {
        extern "C" {
            fn __wasm_call_ctors();
        }
        // SAFETY: the host calls `_initialize` once, before any other export, which is when a
        // reactor runs its constructors.
        unsafe { __wasm_call_ctors() }
    }
}
