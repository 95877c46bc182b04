// A sending function for transfer tests, as tests/guests/sender.c. Usage:
//
//	sender TARGET SIZE [COUNT [move|shared]]
//
// sends SIZE patterned bytes COUNT times; each reply must be the FNV-1a 64 hash of the payload,
// 8 bytes little-endian (hash_receiver, relay). With "move", each round hands a MoveBuffer over
// with SendMove, which must come back reading as zeros, and is refilled. With "shared", the
// payload sits in a SharedBuffer, whose pages an embedded receiver maps; after each send the
// sender's bytes must be unchanged. Exit status: the last status (0 ok), 100 if a reply hash did
// not match, 101 if a shared buffer's bytes changed, 102 if a moved buffer came back with bytes
// in it, 104 if a buffer of 2 MiB or more is not aligned to 2 MiB, 65 if no pages could be
// shared, 64 on bad usage.
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"roadrunner.dev/guest"
)

func fnv1a(p []byte) uint64 {
	h := uint64(1469598103934665603)
	for _, b := range p {
		h = (h ^ uint64(b)) * 1099511628211
	}
	return h
}

func main() {
	if len(os.Args) < 3 {
		os.Exit(64)
	}
	target := os.Args[1]
	size, err := strconv.ParseUint(os.Args[2], 10, 32)
	if err != nil {
		os.Exit(64)
	}
	count := 1
	if len(os.Args) > 3 {
		if count, err = strconv.Atoi(os.Args[3]); err != nil {
			os.Exit(64)
		}
	}
	move := len(os.Args) > 4 && os.Args[4] == "move"
	moving := roadrunner.NewMoveBuffer(int(size))
	buf := moving.Bytes()
	if len(os.Args) > 4 && os.Args[4] == "shared" {
		shared, err := roadrunner.NewSharedBuffer(int(size))
		if err != nil {
			os.Exit(65)
		}
		defer shared.Free()
		buf = shared.Bytes()
	}
	if move && size >= 2<<20 && uintptr(unsafe.Pointer(unsafe.SliceData(buf)))%(2<<20) != 0 {
		os.Exit(104)
	}
	fill := func() {
		for i := range buf {
			buf[i] = byte(uint32(i)*7 + uint32(i)>>12)
		}
	}
	fill()
	st := roadrunner.OK
	for round := 0; round < count; round++ {
		// Every round sends different bytes (the round in the first byte of each page), so a
		// receiver left with an earlier round's payload cannot answer with the right hash.
		for at := 0; at < len(buf); at += 4096 {
			buf[at] = byte(round*13 + 1 + at>>12)
		}
		want := fnv1a(buf)
		var got [8]byte
		var n int
		var err error
		if move {
			moving, n, err = roadrunner.SendMove(target, moving, got[:])
			for _, b := range moving.Bytes() {
				if b != 0 {
					os.Exit(102)
				}
			}
			fill()
		} else {
			n, err = roadrunner.Request(target, buf, got[:])
			if fnv1a(buf) != want {
				os.Exit(101)
			}
		}
		if err != nil {
			if !errors.As(err, &st) {
				st = roadrunner.HandlerError
			}
			break
		}
		if n != len(got) || binary.LittleEndian.Uint64(got[:]) != want {
			fmt.Println("reply hash mismatch")
			os.Exit(100)
		}
	}
	fmt.Printf("status %d %s\n", uint32(st), st.String())
	os.Exit(int(st))
}
