// roadrunner-guest: reactor
//
// A receiver of streams, as tests/guests/rust/stream_sink: keeps the FNV-1a 64 hash and the byte
// count of each open stream and prints, at its end, `sink stream end bytes=<n> fnv=<16 hex
// digits>`, or at an abort `sink stream abort status=<code> bytes=<n>`. With SINK_FAIL_AT=K in
// its environment, the handler fails (returns an error) on the K-th chunk (1-based) of every
// stream; the stream's abort then counts the bytes before that chunk. With SINK_SLOW_MS=T, the
// handler sleeps T ms after each chunk, so a writer finds it busy.
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"roadrunner.dev/guest"
	"roadrunner.dev/guest/streams"
)

type progress struct {
	fnv    uint64
	bytes  uint64
	chunks uint64
}

var open = map[uint32]*progress{}

func init() {
	failAt, err := strconv.ParseUint(os.Getenv("SINK_FAIL_AT"), 10, 64)
	if err != nil {
		failAt = 0
	}
	slowMs, err := strconv.ParseUint(os.Getenv("SINK_SLOW_MS"), 10, 32)
	if err != nil {
		slowMs = 0
	}
	streams.Handle(func(stream uint32, event roadrunner.StreamEvent, data []byte,
		status roadrunner.Status) error {
		p := open[stream]
		if p == nil {
			p = &progress{fnv: 1469598103934665603}
			open[stream] = p
		}
		switch event {
		case roadrunner.StreamData:
			p.chunks++
			if p.chunks == failAt {
				return errors.New("asked to fail")
			}
			for _, b := range data {
				p.fnv = (p.fnv ^ uint64(b)) * 1099511628211
			}
			p.bytes += uint64(len(data))
			// Poisoned once read: a later chunk that does not fully arrive cannot hash as this
			// one did.
			for i := range data {
				data[i] = 0xA5
			}
			time.Sleep(time.Duration(slowMs) * time.Millisecond)
		case roadrunner.StreamEnd:
			fmt.Printf("sink stream end bytes=%d fnv=%016x\n", p.bytes, p.fnv)
			delete(open, stream)
		case roadrunner.StreamAbort:
			fmt.Printf("sink stream abort status=%d bytes=%d\n", uint32(status), p.bytes)
			delete(open, stream)
		}
		return nil
	})
}

func main() {}
