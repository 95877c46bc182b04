package roadrunner

import "unsafe"

const hugePageSize = 2 << 20 // RR_HUGE_PAGE_SIZE

//go:wasmimport roadrunner send_move
//go:noescape
func sendMove(target unsafe.Pointer, targetLen uint32, buf unsafe.Pointer, n uint32,
	reply unsafe.Pointer, replyCap uint32, replyLenOut unsafe.Pointer) uint32

// A MoveBuffer holds bytes for SendMove: page-aligned whole pages, aligned to 2 MiB from 2 MiB
// up, so that in embedded mode its pages move to the receiver without a copy.
type MoveBuffer struct {
	b []byte
}

// NewMoveBuffer returns a zeroed buffer of n bytes.
func NewMoveBuffer(n int) MoveBuffer {
	rounded := (n + pageSize - 1) &^ (pageSize - 1)
	align := pageSize
	if rounded >= hugePageSize {
		align = hugePageSize
	}
	// Allocated with room to align in: Go's allocator aligns large objects to its 8 KiB pages
	// only.
	b := make([]byte, rounded+align)
	skip := (align - int(address(b))%align) % align
	return MoveBuffer{b: b[skip : skip+n : skip+n]}
}

// Bytes is the buffer's memory, to fill before SendMove.
func (m MoveBuffer) Bytes() []byte { return m.b }

// SendMove hands payload's bytes to target instead of lending them (the send_move import), and
// gives the buffer back: once it returns (with any error but Fault), the buffer reads as zeros
// and is the caller's to refill. reply and n are as in Request.
func SendMove(target string, payload MoveBuffer, reply []byte) (back MoveBuffer, n int, err error) {
	var replyLen uint32
	// SAFETY: as in Request; the host also empties [payload, +len(payload)) (its pages move away
	// and it reads as zeros) before the call returns, memory the slice owns.
	st := Status(sendMove(unsafe.Pointer(unsafe.StringData(target)), uint32(len(target)),
		unsafe.Pointer(unsafe.SliceData(payload.b)), uint32(len(payload.b)),
		unsafe.Pointer(unsafe.SliceData(reply)), uint32(len(reply)),
		unsafe.Pointer(&replyLen)))
	return payload, int(replyLen), st.err()
}
