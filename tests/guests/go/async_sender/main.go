// Sends numbered payloads with SendAsync, as tests/guests/rust/async_sender. Usage:
//
//	async_sender TARGET N SIZE [HOW]
//
// sends N payloads of SIZE (at least 8) bytes to TARGET, payload i being i (8 bytes,
// little-endian) and then stream_pattern.h's bytes for seed i (tests/guests/pattern_receiver.c's
// recipe), from RR_MAX_IN_FLIGHT (8) buffers that it reuses, keeping 8 sends pending and waiting
// for the oldest before refilling its buffer. HOW "wait" (the default) does only that; "limits"
// also checks, with 8 pending, that a ninth start is NoMemory (and sends nothing), and that a
// second Wait is Invalid. Prints `async status=<status name> sends=<sends done> bytes=<bytes
// sent>`; exits 0 when every status is OK, 1 otherwise, 4 when a limit did not hold, 64 for bad
// arguments (Rust's "drop" among them: a PendingSend has no destructor).
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"

	"roadrunner.dev/guest"
)

const maxInFlight = 8 // RR_MAX_IN_FLIGHT

// streamByte is stream_pattern.h's stream_byte.
func streamByte(seed uint32, offset uint64) byte {
	return byte(((offset + uint64(seed)) * 0x9E3779B97F4A7C15) >> 56)
}

func fill(buf []byte, index uint64) {
	binary.LittleEndian.PutUint64(buf, index)
	for j := 8; j < len(buf); j++ {
		buf[j] = streamByte(uint32(index), uint64(j))
	}
}

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

func main() {
	if len(os.Args) < 4 {
		os.Exit(64)
	}
	target := os.Args[1]
	count, err1 := strconv.Atoi(os.Args[2])
	size, err2 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil || count < 0 || size < 8 {
		os.Exit(64)
	}
	how := "wait"
	if len(os.Args) > 4 {
		how = os.Args[4]
	}
	if how != "wait" && how != "limits" {
		os.Exit(64)
	}
	bufs := make([][]byte, maxInFlight)
	for k := range bufs {
		bufs[k] = make([]byte, size)
	}
	limitsHeld := true
	sends := 0
	var window []*roadrunner.PendingSend // oldest first
	st := roadrunner.OK
	for i := 0; st == roadrunner.OK && i < count; i++ {
		if len(window) == maxInFlight {
			st = status(window[0].Wait())
			window = window[1:]
			if st != roadrunner.OK {
				break
			}
			sends++
		}
		buf := bufs[i%maxInFlight] // its last send was waited for above
		fill(buf, uint64(i))
		p, err := roadrunner.SendAsync(target, buf)
		if st = status(err); st != roadrunner.OK {
			break
		}
		window = append(window, p)
		if how == "limits" && len(window) == maxInFlight {
			extra := make([]byte, size)
			fill(extra, uint64(count+1000)) // an index the receiver must never see
			none, err := roadrunner.SendAsync(target, extra)
			limitsHeld = limitsHeld && none == nil && status(err) == roadrunner.NoMemory
		}
	}
	for _, p := range window {
		last := status(p.Wait())
		if how == "limits" {
			limitsHeld = limitsHeld && status(p.Wait()) == roadrunner.Invalid
		}
		if st == roadrunner.OK {
			st = last
		}
		if last == roadrunner.OK {
			sends++
		}
	}
	fmt.Printf("async status=%s sends=%d bytes=%d\n", st.String(), sends, sends*size)
	if !limitsHeld {
		fmt.Println("limits not held")
		os.Exit(4)
	}
	if st != roadrunner.OK {
		os.Exit(1)
	}
}
