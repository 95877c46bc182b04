package roadrunner

import (
	"runtime"
	"unsafe"
)

//go:wasmimport roadrunner stream_open
//go:noescape
func streamOpen(target unsafe.Pointer, targetLen uint32, streamOut unsafe.Pointer) uint32

//go:wasmimport roadrunner stream_write
//go:noescape
func streamWrite(stream uint32, buf unsafe.Pointer, n uint32) uint32

//go:wasmimport roadrunner stream_write_move
//go:noescape
func streamWriteMove(stream uint32, buf unsafe.Pointer, n uint32) uint32

//go:wasmimport roadrunner stream_try_write
//go:noescape
func streamTryWrite(stream uint32, buf unsafe.Pointer, n uint32) uint32

//go:wasmimport roadrunner stream_close
func streamClose(stream uint32, abortStatus uint32) uint32

// A Stream is an open stream to one target (a function, a member "group#k" or a fan-out group):
// chunks written in order, then the end (Close) or an abort (Abort).
//
// Each Write is one chunk, which the receiver's handler gets whole, in its own buffer. Write
// returns once every receiver holds a copy of the chunk, not when its handler is done with it,
// so the sender fills its next chunk while the receiver works on this one; a slow receiver makes
// the sender wait. Close delivers the end and waits until every receiver has seen it.
//
// A Stream left open is aborted with Unavailable when the collector finds it unreachable, or
// at the latest when the instance ends: a receiver never takes a stream cut short for a complete
// one. A function holds at most 16 streams open at once (RR_MAX_STREAMS). A Stream is not safe
// for concurrent use.
type Stream struct {
	handle uint32 // 1 to RR_MAX_STREAMS; 0 once closed or aborted
}

// OpenStream opens a stream to target. Nothing reaches the receiver before the first chunk.
// Errors, as a Status: NoMemory when this function already holds 16 streams open; UnknownTarget,
// NotAllowed or Invalid for a target Send would refuse; the host may report a receiver that
// takes no streams (NoStreams) here or at the first Write.
func OpenStream(target string) (*Stream, error) {
	var handle uint32
	// SAFETY: the host reads [target, +len(target)) and writes the four bytes of handle, all in
	// this module's linear memory, before the call returns (as in Request).
	st := Status(streamOpen(unsafe.Pointer(unsafe.StringData(target)), uint32(len(target)),
		unsafe.Pointer(&handle)))
	if st != OK {
		return nil, st
	}
	if handle == 0 {
		return nil, Proto // success without a handle: the host broke the ABI
	}
	s := &Stream{handle: handle}
	runtime.SetFinalizer(s, (*Stream).abandon)
	return s, nil
}

// Handle is the host's number for the stream (for logs), 0 once it is closed.
func (s *Stream) Handle() uint32 { return s.handle }

// Write delivers p as one chunk, an empty one too (io.Writer; wrap the Stream in a bufio.Writer
// before small writes such as fmt.Fprintf's). It returns len(p), or 0 and the
// stream's first failure so far once it has one (a receiver's handler that returned an error,
// HandlerError, or trapped, ReceiverFailed, on this chunk or an earlier one); after a failure
// nothing more is delivered and Close returns the same failure. Invalid once the stream is
// closed.
func (s *Stream) Write(p []byte) (int, error) {
	if s.handle == 0 {
		return 0, Invalid
	}
	// SAFETY: the host only reads [p, +len(p)) of linear memory, and has its own copy of the
	// bytes when the call returns.
	st := Status(streamWrite(s.handle, unsafe.Pointer(unsafe.SliceData(p)), uint32(len(p))))
	if st != OK {
		return 0, st
	}
	return len(p), nil
}

// TryWrite is Write that never waits for a receiver's earlier work (the stream_try_write
// import). While a receiver is not ready to take the chunk at once (in the same process: its
// function is handling, or has queued, another delivery; in another process: it has not yet
// answered the stream's previous chunk), it returns WouldBlock at once, delivers nothing and
// leaves the stream as it was: do other work and write the same chunk (or another) again later,
// or call Write to wait. Otherwise it is Write, with its errors: it returns once every receiver
// holds the chunk. Invalid once the stream is closed.
func (s *Stream) TryWrite(p []byte) error {
	if s.handle == 0 {
		return Invalid
	}
	// SAFETY: the host only reads [p, +len(p)) of linear memory, and has its own copy of the
	// bytes (or has taken none) when the call returns.
	return Status(streamTryWrite(s.handle, unsafe.Pointer(unsafe.SliceData(p)), uint32(len(p)))).err()
}

// WriteMove hands the first n bytes of buf over as one chunk (the stream_write_move import):
// Write's errors, and afterwards (with any error but Fault) those bytes read as zeros and the
// buffer is the caller's to refill. In the same process, to one receiver, its whole pages move
// without a copy; anything else is copied. Invalid for an n past the buffer, or once closed.
func (s *Stream) WriteMove(buf MoveBuffer, n int) error {
	if s.handle == 0 || n < 0 || n > len(buf.b) {
		return Invalid
	}
	// SAFETY: the host reads and then empties [buf, +n) of linear memory, which the slice owns,
	// before the call returns.
	return Status(streamWriteMove(s.handle, unsafe.Pointer(unsafe.SliceData(buf.b)), uint32(n))).err()
}

// Close delivers the end and waits until every receiver's handler has seen it (io.Closer): nil
// when each took the whole stream, else the stream's first failure as a Status. Invalid if the
// stream is already closed.
func (s *Stream) Close() error {
	return s.finish(OK)
}

// Abort ends the stream with an abort instead of the end: each receiver's handler gets
// StreamAbort with code. A code of OK (which would read as the end) aborts with Unavailable.
// It returns the host's status for the abort; Invalid if the stream is already closed.
func (s *Stream) Abort(code Status) error {
	if code == OK {
		code = Unavailable
	}
	return s.finish(code)
}

// finish closes the stream with code (OK: the end) and forgets the handle, which the host may
// give to the next stream opened.
func (s *Stream) finish(code Status) error {
	if s.handle == 0 {
		return Invalid
	}
	handle := s.handle
	s.handle = 0
	runtime.SetFinalizer(s, nil)
	return Status(streamClose(handle, uint32(code))).err()
}

// abandon aborts a stream that became unreachable while open.
func (s *Stream) abandon() {
	if s.handle != 0 {
		streamClose(s.handle, uint32(Unavailable))
		s.handle = 0
	}
}

// StreamEvent is the kind of one event of an incoming stream (RR_STREAM_* in abi.h).
type StreamEvent uint32

const (
	StreamData  StreamEvent = 0 // RR_STREAM_DATA: the next chunk, in data
	StreamEnd   StreamEvent = 1 // RR_STREAM_END: the sender closed the stream; its last event
	StreamAbort StreamEvent = 2 // RR_STREAM_ABORT: cut short, with status; its last event
)

// String names the event ("data", "end", "abort").
func (e StreamEvent) String() string {
	switch e {
	case StreamData:
		return "data"
	case StreamEnd:
		return "end"
	case StreamAbort:
		return "abort"
	}
	return "unknown event"
}

// A StreamHandler handles one event of an incoming stream; package
// roadrunner.dev/guest/streams registers it and exports rr_on_stream.
//
// stream is the stream's number, distinct among the streams open in this instance (the host
// reuses a number after the stream's last event); streams from several senders may be open at
// once, their events interleaved, so state kept per stream is keyed by it. Every chunk arrives in
// order as StreamData with data, the receiver's own buffer, which the handler may read and write
// but must not keep after it returns (it is freed); then one StreamEnd, or one StreamAbort whose
// status is the sender's abort code, or Unavailable when the sender or its connection went away
// (data is nil for both). A non-nil error fails the stream: its sender gets HandlerError (a
// panic, ReceiverFailed) and no more of its chunks arrive.
type StreamHandler func(stream uint32, event StreamEvent, data []byte, status Status) error
