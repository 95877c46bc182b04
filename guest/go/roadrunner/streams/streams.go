// Package streams makes a Go function a receiver of streams: importing it exports rr_on_stream,
// which calls the handler registered with Handle.
//
// It is a package of its own because a Go module exports every //go:wasmexport function of the
// packages it links: a receiver that does not import it exports no rr_on_stream, and a stream
// sent to it fails with NoStreams, as abi.h defines, instead of reaching a missing handler.
//
//	func init() {
//		streams.Handle(func(stream uint32, event roadrunner.StreamEvent, data []byte,
//			status roadrunner.Status) error {
//			...
//		})
//	}
package streams

import (
	"errors"

	"roadrunner.dev/guest"
	"roadrunner.dev/guest/internal/lease"
)

var handler roadrunner.StreamHandler

// Handle registers the function's stream handler. Call it from an init function (a receiver's
// main is never run). A function may also take messages (roadrunner.Handle): both share the
// SDK's rr_alloc and rr_release.
func Handle(h roadrunner.StreamHandler) { handler = h }

// rr_on_stream calls the handler with one event; a chunk's buffer is rr_alloc's, released by the
// host after the call or kept for the stream's next chunk.
//
//go:wasmexport rr_on_stream
func rrOnStream(stream, event, buf, n, status uint32) int32 {
	if handler == nil {
		return 1
	}
	var data []byte
	switch roadrunner.StreamEvent(event) {
	case roadrunner.StreamData:
		if n > 0 {
			b, ok := lease.Bytes(buf, n)
			if !ok {
				return 1 // not a buffer of ours: the host broke the ABI
			}
			data = b
		}
	case roadrunner.StreamEnd, roadrunner.StreamAbort:
	default:
		return 1 // an event this SDK does not know: the host broke the ABI
	}
	err := handler(stream, roadrunner.StreamEvent(event), data, roadrunner.Status(status))
	if err == nil {
		return 0
	}
	var st roadrunner.Status
	if errors.As(err, &st) && st != roadrunner.OK {
		return int32(st)
	}
	return 1
}
