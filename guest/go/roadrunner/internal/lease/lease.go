// Package lease holds the buffers rr_alloc handed to the host until rr_release, for every export
// that reads one: rr_on_message in package roadrunner and rr_on_stream in package streams.
package lease

import "unsafe"

// Buffers handed out by rr_alloc and not yet released, by address. Holding them here keeps the
// collector from freeing memory the host is writing into.
var live = map[uint32][]byte{}

// Address is b's linear-memory address.
func Address(b []byte) uint32 {
	// SAFETY: only the address is taken; b is not dereferenced. wasm32 addresses fit uint32.
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// Hold keeps b alive until Release(Address(b)) and returns its address.
func Hold(b []byte) uint32 {
	at := Address(b)
	live[at] = b
	return at
}

// Release lets the collector have the buffer at address at.
func Release(at uint32) { delete(live, at) }

// Bytes is the first n bytes of the held buffer at address at; false if no buffer of at least n
// bytes is held there (a host that broke the ABI).
func Bytes(at, n uint32) ([]byte, bool) {
	b, ok := live[at]
	if !ok || uint32(len(b)) < n {
		return nil, false
	}
	return b[:n:n], true
}
