// roadrunner-guest: reactor
//
// Replies with the FNV-1a 64 hash of every payload (8 bytes, little-endian), then poisons the
// buffer, as tests/guests/hash_receiver.c. A payload starting with "TRAP" traps instead. It
// counts each message in its own counter "messages" (roadrunner.Count).
package main

import (
	"bytes"
	"encoding/binary"

	"roadrunner.dev/guest"
)

// trap executes Wasm's unreachable instruction (trap_wasm.s): a trap without the stack dump
// that a Go panic (which also ends in a trap) prints.
func trap()

func init() {
	roadrunner.Handle(func(msg []byte, source string) error {
		if bytes.HasPrefix(msg, []byte("TRAP")) {
			trap()
		}
		h := uint64(1469598103934665603)
		for _, b := range msg {
			h = (h ^ uint64(b)) * 1099511628211
		}
		// Poisoned once read: a later payload that does not fully arrive cannot hash as this
		// one did.
		for i := range msg {
			msg[i] = 0xA5
		}
		if err := roadrunner.Count("messages", 1); err != nil {
			return err
		}
		if err := roadrunner.Event("hashed"); err != nil {
			return err
		}
		var out [8]byte
		binary.LittleEndian.PutUint64(out[:], h)
		return roadrunner.Reply(out[:])
	})
}

func main() {}
