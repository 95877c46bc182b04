package roadrunner

import (
	"runtime"
	"unsafe"
)

// Not //go:noescape: the host keeps reading buf after the call returns, so what it points to
// must live on the heap, never on a goroutine stack that may move.
//
//go:wasmimport roadrunner send_async
func sendAsync(target unsafe.Pointer, targetLen uint32, buf unsafe.Pointer, n uint32,
	ticketOut unsafe.Pointer) uint32

//go:wasmimport roadrunner send_wait
func sendWait(ticket uint32) uint32

// A PendingSend is a send started with SendAsync and not yet waited for.
//
// The receivers read the payload in place from the sender's memory until Wait returns: the
// caller must not change the payload's bytes before then (a change reaches the receivers, or
// some of them, or none). The PendingSend keeps the payload reachable until Wait, so the
// collector does not free it while the host reads it.
//
// A PendingSend that becomes unreachable before Wait is waited for by the collector, its status
// dropped, and at the latest when the instance ends; until then it holds one of the function's
// RR_MAX_IN_FLIGHT (8) places. Call Wait on every path, defer included. A PendingSend is not safe
// for concurrent use.
type PendingSend struct {
	ticket  uint32 // the host's ticket; 0 once waited for
	payload []byte // what the host reads until Wait
}

// SendAsync starts a send of payload to target (as Send, with no reply) and returns at once;
// Wait gives the send's result. Errors, as a Status, with nothing sent: NoMemory when the
// function already has 8 sends pending (RR_MAX_IN_FLIGHT; Wait for one first); UnknownTarget,
// NotAllowed or Invalid for a target Send would refuse.
func SendAsync(target string, payload []byte) (*PendingSend, error) {
	p := &PendingSend{payload: payload}
	// SAFETY: as in Request, the host reads [target, +len(target)) and writes the four bytes of
	// p.ticket before the call returns. It reads [payload, +len(payload)) until the ticket is
	// waited for: the payload's memory is on the heap (sendAsync's parameters escape), the
	// collector does not move heap objects, and p.payload keeps it reachable until Wait, or
	// until the finalizer, which waits first, has run.
	st := Status(sendAsync(unsafe.Pointer(unsafe.StringData(target)), uint32(len(target)),
		unsafe.Pointer(unsafe.SliceData(payload)), uint32(len(payload)),
		unsafe.Pointer(&p.ticket)))
	if st != OK {
		return nil, st
	}
	if p.ticket == 0 {
		return nil, Proto // success without a ticket: the host broke the ABI
	}
	runtime.SetFinalizer(p, (*PendingSend).abandon)
	return p, nil
}

// Ticket is the host's number for the send (for logs), 0 once it is waited for.
func (p *PendingSend) Ticket() uint32 { return p.ticket }

// Wait waits until the send is done and returns nil when every receiver's handler returned nil,
// else the Status Send would have returned. The payload is the caller's again afterwards.
// Invalid if the send was waited for already.
func (p *PendingSend) Wait() error {
	if p.ticket == 0 {
		return Invalid
	}
	// Forget the ticket first: the host may give its number to the next send.
	ticket := p.ticket
	p.ticket = 0
	runtime.SetFinalizer(p, nil)
	st := Status(sendWait(ticket))
	p.payload = nil // read by the host until here
	return st.err()
}

// abandon waits for a send whose PendingSend became unreachable before Wait.
func (p *PendingSend) abandon() {
	if p.ticket != 0 {
		sendWait(p.ticket)
		p.ticket = 0
		p.payload = nil
	}
}
