//! The host's imports as the ABI declares them, for code that must pass pointers the safe API
//! never would (a test that provokes `RR_EFAULT`, say). Every call is `unsafe`.

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "roadrunner")]
extern "C" {
    /// `send(target, target_len, buf, len, reply, reply_cap, reply_len_out) -> status`.
    #[link_name = "send"]
    pub fn send(
        target: u32,
        target_len: u32,
        buf: u32,
        len: u32,
        reply: u32,
        reply_cap: u32,
        reply_len_out: u32,
    ) -> u32;
    /// `send_move(target, target_len, buf, len, reply, reply_cap, reply_len_out) -> status`:
    /// as `send`, and `[buf, buf+len)` reads as zeros afterwards (any status but `RR_EFAULT`).
    #[link_name = "send_move"]
    pub fn send_move(
        target: u32,
        target_len: u32,
        buf: u32,
        len: u32,
        reply: u32,
        reply_cap: u32,
        reply_len_out: u32,
    ) -> u32;
    /// `reply(buf, len) -> status`, valid only inside `rr_on_message`.
    #[link_name = "reply"]
    pub fn reply(buf: u32, len: u32) -> u32;
    /// `share_pages(buf, len) -> status`: backs `[buf, buf+len)` (whole pages) with pages the
    /// host can map into receivers; the range reads as zeros afterwards.
    #[link_name = "share_pages"]
    pub fn share_pages(buf: u32, len: u32) -> u32;
    /// `unshare_pages(buf, len) -> status`: private zero pages again, before the range is freed.
    #[link_name = "unshare_pages"]
    pub fn unshare_pages(buf: u32, len: u32) -> u32;
    /// `add_counter(name, name_len, value) -> status`: adds `value` to the function's own
    /// counter `name`, which the host exports as `roadrunner_guest_counter_total`.
    #[link_name = "add_counter"]
    pub fn add_counter(name: u32, name_len: u32, value: u32) -> u32;
    /// `span_event(name, name_len) -> status`: records an event in the span the function runs
    /// in, which the host exports when it traces.
    #[link_name = "span_event"]
    pub fn span_event(name: u32, name_len: u32) -> u32;
    /// `stream_open(target, target_len, stream_out) -> status`: opens a stream to `target` and
    /// writes its handle (a `u32`, 1 to `MAX_STREAMS`) to `stream_out`.
    #[link_name = "stream_open"]
    pub fn stream_open(target: u32, target_len: u32, stream_out: u32) -> u32;
    /// `stream_write(stream, buf, len) -> status`: delivers `[buf, buf+len)` as one chunk; the
    /// stream's first failure so far once it has one.
    #[link_name = "stream_write"]
    pub fn stream_write(stream: u32, buf: u32, len: u32) -> u32;
    /// `stream_write_move(stream, buf, len) -> status`: `stream_write` that hands the chunk over:
    /// afterwards (unless `RR_EFAULT`) `[buf, buf+len)` reads as zeros.
    #[link_name = "stream_write_move"]
    pub fn stream_write_move(stream: u32, buf: u32, len: u32) -> u32;
    /// `stream_try_write(stream, buf, len) -> status`: `stream_write`, except that while a
    /// receiver is not ready to take the chunk at once it returns `RR_EWOULDBLOCK` at once,
    /// delivers nothing and leaves the stream as it was.
    #[link_name = "stream_try_write"]
    pub fn stream_try_write(stream: u32, buf: u32, len: u32) -> u32;
    /// `stream_close(stream, abort_status) -> status`: 0 delivers the end and returns the
    /// stream's result, anything else aborts the stream with that code. Frees the handle.
    #[link_name = "stream_close"]
    pub fn stream_close(stream: u32, abort_status: u32) -> u32;
    /// `send_async(target, target_len, buf, len, ticket_out) -> status`: starts a send of
    /// `[buf, buf+len)` and writes its ticket (a non-zero `u32`) to `ticket_out`. The host reads
    /// the payload in place until the ticket is waited for.
    #[link_name = "send_async"]
    pub fn send_async(target: u32, target_len: u32, buf: u32, len: u32, ticket_out: u32) -> u32;
    /// `send_wait(ticket) -> status`: waits for the send and returns its status; frees the
    /// ticket (`RR_EINVAL` for one that is not outstanding).
    #[link_name = "send_wait"]
    pub fn send_wait(ticket: u32) -> u32;
}

// Off wasm32 (docs, `cargo check` on the host) the imports do not exist: every call is refused.
#[cfg(not(target_arch = "wasm32"))]
mod host_stubs {
    /// # Safety
    /// Never dereferences anything; always `RR_EUNAVAILABLE`.
    pub unsafe fn send(_: u32, _: u32, _: u32, _: u32, _: u32, _: u32, _: u32) -> u32 {
        crate::abi::EUNAVAILABLE
    }
    /// # Safety
    /// Never dereferences anything; always `RR_EUNAVAILABLE`.
    pub unsafe fn send_move(_: u32, _: u32, _: u32, _: u32, _: u32, _: u32, _: u32) -> u32 {
        crate::abi::EUNAVAILABLE
    }
    /// # Safety
    /// Never dereferences anything; always `RR_ENO_REPLY_CONTEXT`.
    pub unsafe fn reply(_: u32, _: u32) -> u32 {
        crate::abi::ENO_REPLY_CONTEXT
    }
    /// # Safety
    /// Never dereferences anything; always `RR_EUNAVAILABLE`.
    pub unsafe fn share_pages(_: u32, _: u32) -> u32 {
        crate::abi::EUNAVAILABLE
    }
    /// # Safety
    /// Never dereferences anything; always `RR_EUNAVAILABLE`.
    pub unsafe fn unshare_pages(_: u32, _: u32) -> u32 {
        crate::abi::EUNAVAILABLE
    }
    /// # Safety
    /// Never dereferences anything; always `RR_EUNAVAILABLE`.
    pub unsafe fn add_counter(_: u32, _: u32, _: u32) -> u32 {
        crate::abi::EUNAVAILABLE
    }
    /// # Safety
    /// Never dereferences anything; always `RR_EUNAVAILABLE`.
    pub unsafe fn span_event(_: u32, _: u32) -> u32 {
        crate::abi::EUNAVAILABLE
    }
    /// # Safety
    /// Never dereferences anything; always `RR_EUNAVAILABLE`.
    pub unsafe fn stream_open(_: u32, _: u32, _: u32) -> u32 {
        crate::abi::EUNAVAILABLE
    }
    /// # Safety
    /// Never dereferences anything; always `RR_EUNAVAILABLE`.
    pub unsafe fn stream_write(_: u32, _: u32, _: u32) -> u32 {
        crate::abi::EUNAVAILABLE
    }
    /// # Safety
    /// Never dereferences anything; always `RR_EUNAVAILABLE`.
    pub unsafe fn stream_write_move(_: u32, _: u32, _: u32) -> u32 {
        crate::abi::EUNAVAILABLE
    }
    /// # Safety
    /// Never dereferences anything; always `RR_EUNAVAILABLE`.
    pub unsafe fn stream_try_write(_: u32, _: u32, _: u32) -> u32 {
        crate::abi::EUNAVAILABLE
    }
    /// # Safety
    /// Never dereferences anything; always `RR_EUNAVAILABLE`.
    pub unsafe fn stream_close(_: u32, _: u32) -> u32 {
        crate::abi::EUNAVAILABLE
    }
    /// # Safety
    /// Never dereferences anything; always `RR_EUNAVAILABLE`.
    pub unsafe fn send_async(_: u32, _: u32, _: u32, _: u32, _: u32) -> u32 {
        crate::abi::EUNAVAILABLE
    }
    /// # Safety
    /// Never dereferences anything; always `RR_EINVAL` (no ticket is ever outstanding).
    pub unsafe fn send_wait(_: u32) -> u32 {
        crate::abi::EINVAL
    }
}
#[cfg(not(target_arch = "wasm32"))]
pub use host_stubs::{
    add_counter, reply, send, send_async, send_move, send_wait, share_pages, span_event,
    stream_close, stream_open, stream_try_write, stream_write, stream_write_move, unshare_pages,
};
