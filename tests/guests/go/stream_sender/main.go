// Streams patterned chunks to a target, as tests/guests/rust/stream_sender. Usage:
//
//	stream_sender TARGET N SIZE [HOW]
//
// opens a stream to TARGET and writes N chunks of SIZE bytes, byte j of chunk i being
// (i*131 + j*7) & 0xff, then ends it as HOW says: "end" (the default) closes it (the status is
// the stream's result), "abort:CODE" aborts it with CODE (the status is the abort's), "leak"
// leaves it open and exits, so the host aborts it when the instance ends, "move" writes each
// chunk from a MoveBuffer with WriteMove, checks that the buffer reads as zeros afterwards (exit
// 9 if not), then closes it, "try" writes each chunk with TryWrite and, at each WouldBlock, does
// about 100 µs of other work and writes the same chunk again, then closes it and prints
// `stream would_blocks=<count>`. Prints
// `stream status=<status name> chunks=<chunks written> bytes=<bytes written>`; exits 0 when the
// status is OK, 1 otherwise, 64 for bad arguments (Rust's "drop" among them: a Go Stream has no
// destructor). A failed write stops the writing and aborts
// the stream with Unavailable.
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"roadrunner.dev/guest"
)

func status(err error) roadrunner.Status {
	if err == nil {
		return roadrunner.OK
	}
	var st roadrunner.Status
	if !errors.As(err, &st) {
		return roadrunner.HandlerError
	}
	return st
}

// work is where otherWork leaves its result, so that the compiler keeps the work.
var work uint64 = 0x9E3779B97F4A7C15

// otherWork is the work a sender does instead of waiting for a busy receiver: about 100 µs of
// arithmetic.
func otherWork() {
	start := time.Now()
	for time.Since(start) < 100*time.Microsecond {
		for range 256 {
			work ^= work << 13
			work ^= work >> 7
			work ^= work << 17
		}
	}
}

func main() {
	if len(os.Args) < 4 {
		os.Exit(64)
	}
	count, err1 := strconv.Atoi(os.Args[2])
	size, err2 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil || count < 0 || size < 0 {
		os.Exit(64)
	}
	how := "end"
	if len(os.Args) > 4 {
		how = os.Args[4]
	}
	if how != "end" && how != "leak" && how != "move" && how != "try" &&
		!strings.HasPrefix(how, "abort:") {
		os.Exit(64)
	}
	chunks, bytes, wouldBlocks := 0, 0, 0
	st := func() roadrunner.Status {
		s, err := roadrunner.OpenStream(os.Args[1])
		if err != nil {
			return status(err)
		}
		chunk := make([]byte, size)
		moving := roadrunner.NewMoveBuffer(size)
		for i := 0; i < count; i++ {
			for j := range chunk {
				chunk[j] = byte((i*131 + j*7) & 0xff)
			}
			var err error
			if how == "move" {
				copy(moving.Bytes(), chunk)
				err = s.WriteMove(moving, size)
				for _, b := range moving.Bytes() {
					if err == nil && b != 0 {
						fmt.Printf("chunk %d still in the sender's buffer after WriteMove\n", i)
						os.Exit(9)
					}
				}
			} else if how == "try" {
				err = s.TryWrite(chunk)
				for errors.Is(err, roadrunner.WouldBlock) {
					wouldBlocks++
					otherWork()
					err = s.TryWrite(chunk)
				}
			} else {
				_, err = s.Write(chunk)
			}
			if err != nil {
				s.Abort(roadrunner.Unavailable)
				return status(err)
			}
			chunks++
			bytes += size
		}
		if code, ok := strings.CutPrefix(how, "abort:"); ok {
			n, err := strconv.ParseUint(code, 10, 32)
			if err != nil {
				n = 1
			}
			return status(s.Abort(roadrunner.Status(n)))
		}
		if how == "leak" {
			return roadrunner.OK
		}
		return status(s.Close())
	}()
	if how == "try" {
		fmt.Printf("stream would_blocks=%d\n", wouldBlocks)
	}
	fmt.Printf("stream status=%s chunks=%d bytes=%d\n", st.String(), chunks, bytes)
	if st != roadrunner.OK {
		os.Exit(1)
	}
}
