package roadrunner

import (
	"errors"
	"unsafe"

	"roadrunner.dev/guest/internal/lease"
)

// A Handler handles one message. msg is the receiver's own buffer, filled by the host: the
// handler may read and write it, but must not keep it (or a slice of it) after it returns,
// because the buffer is reused. source is the sender's instance name ("producer", "worker#2").
// A non-nil error reaches the sender as HandlerError, a panic (Go traps) as ReceiverFailed. It
// runs inside a call from the host, where it may wait for goroutines that it started.
type Handler func(msg []byte, source string) error

var handler Handler

// Handle registers the function's handler. Call it from an init function (a receiver's main is
// never run).
func Handle(h Handler) { handler = h }

// A request for more than this returns 0 (NoMemory to the sender) instead of making the Go
// runtime abort: wasm32 memory holds at most 4 GiB, Go's heap well under that.
const maxAlloc = 1 << 31

const pageSize = 4096 // RR_PAGE_SIZE

func address(b []byte) uint32 {
	// SAFETY: only the address is taken; b is not dereferenced. wasm32 addresses fit uint32.
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// rr_alloc returns a page-aligned buffer of len bytes rounded up to whole pages (aligned to 2 MiB
// from 2 MiB up), or 0.
//
//go:wasmexport rr_alloc
func rrAlloc(n uint32) uint32 {
	if n == 0 || n > maxAlloc {
		return 0
	}
	rounded := (n + pageSize - 1) &^ (pageSize - 1)
	align := uint32(pageSize)
	if rounded >= hugePageSize {
		align = hugePageSize // so a move hands it whole 2 MiB pages
	}
	// Go's allocator page-aligns large objects; anything else gets slack to align in.
	b := make([]byte, rounded)
	if address(b)%align != 0 {
		b = make([]byte, rounded+align)
		skip := (align - address(b)%align) % align
		b = b[skip : skip+rounded : skip+rounded]
	}
	return lease.Hold(b)
}

// rr_release ends the host's use of a buffer from rr_alloc; the collector may then free it.
//
//go:wasmexport rr_release
func rrRelease(buf, n uint32) {
	lease.Release(buf)
}

// rr_on_message calls the handler with the payload buffer and the sender's name.
//
//go:wasmexport rr_on_message
func rrOnMessage(buf, n, source, sourceLen uint32) int32 {
	if handler == nil {
		return 1
	}
	var msg []byte
	if n > 0 {
		b, ok := lease.Bytes(buf, n)
		if !ok {
			return 1 // not a buffer of ours: the host broke the ABI
		}
		msg = b
	}
	name, ok := lease.Bytes(source, sourceLen)
	if !ok {
		return 1
	}
	return handlerResult(handler(msg, string(name)))
}

// handlerResult is what an export returns to the host for a handler's error: 0 for nil, the
// Status for a Status, else 1. Any non-zero result reaches the sender as HandlerError.
func handlerResult(err error) int32 {
	if err == nil {
		return 0
	}
	var st Status
	if errors.As(err, &st) && st != OK {
		return int32(st)
	}
	return 1
}
