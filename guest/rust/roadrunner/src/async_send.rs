//! Sends that return at once: `send_async` (the ABI's `send_async`) and the `PendingSend` it
//! gives, which `wait`s for the send (the ABI's `send_wait`).

use std::marker::PhantomData;

use crate::{addr, len32, raw, Status};

/// A send started with [`send_async`] and not yet waited for. It borrows the payload: the
/// receivers read the bytes in place from the sender's memory until the send is done, so the
/// borrow checker keeps them alive and unchanged until `wait` (or the drop) returns.
///
/// A `PendingSend` dropped without `wait` (a `?` past it, a panic unwinding) waits for the send
/// and drops its status. `std::mem::forget` on one ends the borrow without a wait: the bytes may
/// then change under the receivers, and the host waits for the send when the instance ends.
/// An instance holds at most `abi::MAX_IN_FLIGHT` (8) sends pending at once.
///
/// ```no_run
/// let (first, second) = (vec![1u8; 4096], vec![2u8; 4096]);
/// let a = roadrunner::send_async("sink", &first)?;
/// let b = roadrunner::send_async("sink", &second)?; // both on their way
/// a.wait()?;
/// b.wait()?;
/// # Ok::<(), roadrunner::Status>(())
/// ```
#[derive(Debug)]
#[must_use = "a PendingSend dropped at once waits for its send there and drops its status"]
pub struct PendingSend<'a> {
    /// The host's ticket, never 0 while the `PendingSend` lives.
    ticket: u32,
    payload: PhantomData<&'a [u8]>,
}

/// Starts a send of `payload` to `target` (as `send`, with no reply) and returns at once; the
/// `PendingSend`'s `wait` gives the send's result.
///
/// Errors, with nothing sent: `Status::NoMemory` when this instance already has 8 sends pending
/// (`abi::MAX_IN_FLIGHT`; wait for one first); a target the workflow does not know or declare
/// (`UnknownTarget`, `NotAllowed`) or an empty name (`Invalid`), as `send`.
pub fn send_async<'a>(target: &str, payload: &'a [u8]) -> Result<PendingSend<'a>, Status> {
    let mut ticket: u32 = 0;
    // SAFETY: every pointer comes from a live reference and its length from the same slice or
    // string. The host reads `target` and writes the four bytes of `ticket` before the call
    // returns. It reads `payload` until the ticket is waited for, and the `PendingSend` returned
    // borrows `payload` for as long as that: `wait` and `drop` are the only ways to end the
    // borrow that leave the ticket outstanding, and both wait. (`mem::forget` ends it too; the
    // receivers may then read bytes that changed, which the ABI allows: "doing so changes only
    // what the receivers see".)
    let raw = unsafe {
        raw::send_async(
            addr(target.as_ptr()),
            len32(target.len()),
            addr(payload.as_ptr()),
            len32(payload.len()),
            addr(&mut ticket as *mut u32),
        )
    };
    Status::check(raw)?;
    if ticket == 0 {
        // A host that reports success without a ticket broke the ABI; 0 names no send.
        return Err(Status::Proto);
    }
    Ok(PendingSend {
        ticket,
        payload: PhantomData,
    })
}

impl PendingSend<'_> {
    /// The host's ticket for this send (for logs; `raw::send_wait` takes it too).
    pub fn ticket(&self) -> u32 {
        self.ticket
    }

    /// Waits until the send is done: `Ok(())` when every receiver's handler returned `Ok`, else
    /// the status `send` would have returned. The payload's borrow ends here.
    pub fn wait(self) -> Result<(), Status> {
        let ticket = self.ticket;
        // Not dropped: the drop would wait for the ticket a second time, and by then the host
        // may have given its number to a newer send.
        std::mem::forget(self);
        // SAFETY: a plain number; the ticket is this send's, which is waited for only here.
        Status::check(unsafe { raw::send_wait(ticket) })
    }
}

impl Drop for PendingSend<'_> {
    /// Waits for a send that nobody waited for, dropping its status.
    fn drop(&mut self) {
        // SAFETY: a plain number; the ticket is this send's, still outstanding (`wait` forgets
        // the `PendingSend`, so it is never waited for twice).
        unsafe { raw::send_wait(self.ticket) };
    }
}
