//! Streams: a sender's `Stream` (the ABI's `stream_open`, `stream_write` and `stream_close`) and
//! what a receiver's stream handler is given (`StreamEvent`).

use std::io;

use crate::{abi, addr, len32, raw, PageBuf, Status};

/// An open stream to one target (a function, a member `group#k` or a fan-out group): chunks
/// written in order, then the end or an abort.
///
/// Each `write` is one chunk, which the receiver's handler gets whole, in its own buffer. The
/// call returns once every receiver holds a copy of the chunk, not when its handler is done with
/// it, so the sender fills its next chunk while the receiver works on this one; a slow receiver
/// makes the sender wait. `close` delivers the end and waits until every receiver has seen it.
///
/// A `Stream` dropped before `close` or `abort` is aborted with `Status::Unavailable`: a receiver
/// never takes a stream cut short (a `?` out of the writing loop, a panic) for a complete one.
/// An instance holds at most `abi::MAX_STREAMS` (16) streams open at once.
///
/// ```no_run
/// let mut stream = roadrunner::Stream::open("sink")?;
/// for chunk in [&b"first"[..], b"second", b"third"] {
///     stream.write(chunk)?;
/// }
/// stream.close()?;
/// # Ok::<(), roadrunner::Status>(())
/// ```
#[derive(Debug)]
pub struct Stream {
    /// The host's handle, 1 to `MAX_STREAMS`; never 0 while the `Stream` lives.
    handle: u32,
}

impl Stream {
    /// Opens a stream to `target`. Nothing reaches the receiver before the first chunk.
    ///
    /// Errors: `Status::NoMemory` when this instance already holds 16 streams open; a target the
    /// workflow does not know or declare (`UnknownTarget`, `NotAllowed`) or an empty name
    /// (`Invalid`), as `send`; the host may report a receiver that takes no streams
    /// (`NoStreams`) here or at the first `write`.
    pub fn open(target: &str) -> Result<Stream, Status> {
        let mut handle: u32 = 0;
        // SAFETY: `target` is a live string and `handle` a live local: the host reads
        // `target.len()` bytes of the one and writes the four bytes of the other, all inside this
        // module's memory, before the call returns.
        let raw = unsafe {
            raw::stream_open(
                addr(target.as_ptr()),
                len32(target.len()),
                addr(&mut handle as *mut u32),
            )
        };
        Status::check(raw)?;
        if handle == 0 {
            // A host that reports success without a handle broke the ABI; 0 names no stream.
            return Err(Status::Proto);
        }
        Ok(Stream { handle })
    }

    /// The host's handle for this stream (for logs; `raw` takes it too).
    pub fn handle(&self) -> u32 {
        self.handle
    }

    /// Delivers `chunk` as one chunk (an empty one too). Returns the stream's first failure so
    /// far once it has one (a receiver's handler that returned an error, `HandlerError`, or
    /// trapped, `ReceiverFailed`, on this chunk or an earlier one); after a failure nothing more
    /// is delivered, and `close` returns the same failure.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), Status> {
        // SAFETY: the pointer and length come from one live slice; the host only reads it, and
        // has its own copy of the bytes when the call returns.
        Status::check(unsafe {
            raw::stream_write(self.handle, addr(chunk.as_ptr()), len32(chunk.len()))
        })
    }

    /// `write` that never waits for a receiver's earlier work (the ABI's `stream_try_write`).
    /// While a receiver is not ready to take the chunk at once (in the same process: its
    /// function is handling, or has queued, another delivery; in another process: it has not
    /// yet answered the stream's previous chunk), it returns `Err(Status::WouldBlock)` at once,
    /// delivers nothing and leaves the stream as it was: do other work and write the same chunk
    /// (or another) again later, or call `write` to wait. Otherwise it is `write`, with its
    /// results: it returns once every receiver holds the chunk.
    ///
    /// ```no_run
    /// # let mut stream = roadrunner::Stream::open("sink")?;
    /// # let chunk = [0u8; 4096];
    /// loop {
    ///     match stream.try_write(&chunk) {
    ///         Err(roadrunner::Status::WouldBlock) => { /* other work, then again */ }
    ///         done => break done,
    ///     }
    /// }?;
    /// # Ok::<(), roadrunner::Status>(())
    /// ```
    pub fn try_write(&mut self, chunk: &[u8]) -> Result<(), Status> {
        // SAFETY: the pointer and length come from one live slice; the host only reads it, and
        // has its own copy of the bytes (or has taken none) when the call returns.
        Status::check(unsafe {
            raw::stream_try_write(self.handle, addr(chunk.as_ptr()), len32(chunk.len()))
        })
    }

    /// Hands the first `len` bytes of `buf` over as one chunk (the ABI's `stream_write_move`):
    /// `write`'s results, and afterwards those bytes read as zeros and the buffer is the
    /// sender's to refill. In the same process, to one receiver, its whole pages move without a
    /// copy; anything else is copied. `Status::Invalid` for a `len` past the buffer.
    pub fn write_move(&mut self, buf: &mut PageBuf, len: usize) -> Result<(), Status> {
        if len > buf.len() {
            return Err(Status::Invalid);
        }
        let bytes: &mut [u8] = buf;
        // SAFETY: the pointer and length lie inside one live buffer, borrowed mutably because
        // the host empties it (its pages move away and it reads as zeros), inside this module's
        // memory and before the call returns.
        Status::check(unsafe {
            raw::stream_write_move(self.handle, addr(bytes.as_mut_ptr()), len32(len))
        })
    }

    /// Delivers the end and waits until every receiver's handler has seen it: `Ok(())` when each
    /// took the whole stream, else the stream's first failure.
    pub fn close(self) -> Result<(), Status> {
        let handle = self.release();
        // SAFETY: plain numbers; the handle is this stream's, which is closed only here.
        Status::check(unsafe { raw::stream_close(handle, abi::OK) })
    }

    /// Aborts the stream: each receiver's handler gets `StreamEvent::Abort(code)` instead of the
    /// end. A `code` of 0 (which would read as the end) aborts with `RR_EUNAVAILABLE` instead.
    pub fn abort(self, code: u32) -> Result<(), Status> {
        let handle = self.release();
        let code = if code == abi::OK {
            abi::EUNAVAILABLE
        } else {
            code
        };
        // SAFETY: plain numbers; the handle is this stream's, which is closed only here.
        Status::check(unsafe { raw::stream_close(handle, code) })
    }

    /// Takes the handle out of a stream that is being closed, so that `Drop` does not close it
    /// again (the host may have given the number to a newer stream by then).
    fn release(self) -> u32 {
        let handle = self.handle;
        std::mem::forget(self);
        handle
    }
}

impl Drop for Stream {
    /// Aborts a stream that was neither closed nor aborted with `RR_EUNAVAILABLE`.
    fn drop(&mut self) {
        // SAFETY: plain numbers; the handle is this stream's, still open (`close` and `abort`
        // forget the `Stream`, so it is never closed twice).
        unsafe { raw::stream_close(self.handle, abi::EUNAVAILABLE) };
    }
}

/// Each `write` is one chunk of the stream (an empty buffer sends none), so wrap a `Stream` in
/// `std::io::BufWriter` before small writes such as `write!`'s. The error's inner value is the
/// `Status`. `flush` delivers nothing: the end is `close`'s.
impl io::Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        Stream::write(self, buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One event of an incoming stream, as a stream handler gets it (`stream_receiver!`).
#[derive(Debug, PartialEq, Eq)]
pub enum StreamEvent<'a> {
    /// The next chunk, in the order written, in the receiver's own buffer: the handler may read
    /// and change it but not keep it: after the handler returns the buffer is released, or takes
    /// the stream's next chunk.
    Data(&'a mut [u8]),
    /// The sender closed the stream: every chunk has arrived. The stream's last event.
    End,
    /// The stream was cut short: the sender's abort code, or `RR_EUNAVAILABLE` when the sender
    /// or its connection went away. The stream's last event.
    Abort(u32),
}
