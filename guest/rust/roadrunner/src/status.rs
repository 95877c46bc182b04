//! `Status`: what a send, a reply or a stream returns when it did not succeed.

use crate::abi;
use std::fmt;

/// A status other than `RR_OK`, as the host returned it. `name()` matches the C SDK's
/// `rr_status_name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// No function of that name.
    UnknownTarget,
    /// The workflow does not declare that edge.
    NotAllowed,
    /// The payload is over the receiver's limit.
    TooLarge,
    /// The receiver's allocator returned 0.
    NoMemory,
    /// The receiver's allocator returned an out-of-range or misaligned buffer.
    BadAlloc,
    /// The receiver trapped (a panic is a trap).
    ReceiverFailed,
    /// The receiver's handler returned an error.
    HandlerError,
    /// A pointer or length outside the caller's memory (only through `raw`).
    Fault,
    /// The reply did not fit; the reply's full length is reported beside it.
    ReplyTooLarge,
    /// `reply` was called outside a handler.
    NoReplyContext,
    /// The receiver is unreachable or went away.
    Unavailable,
    /// The receiver did not finish in time.
    TimedOut,
    /// The transport broke its protocol.
    Proto,
    /// A malformed argument, e.g. an empty target name.
    Invalid,
    /// The receiver called `proc_exit` while serving the message.
    Exited,
    /// The receiver takes no streams (it exports no `rr_on_stream`).
    NoStreams,
    /// `Stream::try_write`: a receiver is not ready for the chunk yet; nothing was sent.
    WouldBlock,
    /// A status this SDK does not know (a newer host).
    Unrecognized(u32),
}

impl Status {
    /// `Ok(())` for `RR_OK`, else the status.
    pub fn check(raw: u32) -> Result<(), Status> {
        if raw == abi::OK {
            Ok(())
        } else {
            Err(Status::from_raw(raw))
        }
    }

    /// The status for a non-zero raw code.
    pub fn from_raw(raw: u32) -> Status {
        match raw {
            abi::EUNKNOWN_TARGET => Status::UnknownTarget,
            abi::ENOT_ALLOWED => Status::NotAllowed,
            abi::ETOO_LARGE => Status::TooLarge,
            abi::ENOMEM => Status::NoMemory,
            abi::EBAD_ALLOC => Status::BadAlloc,
            abi::ERECEIVER_FAILED => Status::ReceiverFailed,
            abi::EHANDLER => Status::HandlerError,
            abi::EFAULT => Status::Fault,
            abi::EREPLY_TOO_LARGE => Status::ReplyTooLarge,
            abi::ENO_REPLY_CONTEXT => Status::NoReplyContext,
            abi::EUNAVAILABLE => Status::Unavailable,
            abi::ETIMEDOUT => Status::TimedOut,
            abi::EPROTO => Status::Proto,
            abi::EINVAL => Status::Invalid,
            abi::EEXITED => Status::Exited,
            abi::ENO_STREAMS => Status::NoStreams,
            abi::EWOULDBLOCK => Status::WouldBlock,
            other => Status::Unrecognized(other),
        }
    }

    /// The raw `rr_status_t`.
    pub fn raw(self) -> u32 {
        match self {
            Status::UnknownTarget => abi::EUNKNOWN_TARGET,
            Status::NotAllowed => abi::ENOT_ALLOWED,
            Status::TooLarge => abi::ETOO_LARGE,
            Status::NoMemory => abi::ENOMEM,
            Status::BadAlloc => abi::EBAD_ALLOC,
            Status::ReceiverFailed => abi::ERECEIVER_FAILED,
            Status::HandlerError => abi::EHANDLER,
            Status::Fault => abi::EFAULT,
            Status::ReplyTooLarge => abi::EREPLY_TOO_LARGE,
            Status::NoReplyContext => abi::ENO_REPLY_CONTEXT,
            Status::Unavailable => abi::EUNAVAILABLE,
            Status::TimedOut => abi::ETIMEDOUT,
            Status::Proto => abi::EPROTO,
            Status::Invalid => abi::EINVAL,
            Status::Exited => abi::EEXITED,
            Status::NoStreams => abi::ENO_STREAMS,
            Status::WouldBlock => abi::EWOULDBLOCK,
            Status::Unrecognized(raw) => raw,
        }
    }

    /// A readable name, the same as the C SDK's `rr_status_name`.
    pub fn name(self) -> &'static str {
        match self {
            Status::UnknownTarget => "unknown target",
            Status::NotAllowed => "target not declared",
            Status::TooLarge => "payload too large",
            Status::NoMemory => "receiver out of memory",
            Status::BadAlloc => "bad receiver buffer",
            Status::ReceiverFailed => "receiver failed",
            Status::HandlerError => "handler error",
            Status::Fault => "bad pointer",
            Status::ReplyTooLarge => "reply too large",
            Status::NoReplyContext => "no message to reply to",
            Status::Unavailable => "receiver unavailable",
            Status::TimedOut => "timed out",
            Status::Proto => "protocol error",
            Status::Invalid => "invalid argument",
            Status::Exited => "receiver exited",
            Status::NoStreams => "receiver takes no streams",
            Status::WouldBlock => "would block",
            Status::Unrecognized(_) => "unknown status",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.raw())
    }
}

impl std::error::Error for Status {}
