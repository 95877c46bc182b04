package roadrunner

import "unsafe"

//go:wasmimport roadrunner add_counter
//go:noescape
func addCounter(name unsafe.Pointer, n uint32, value uint32) uint32

// Count adds value to the function's own counter name (1 to 64 characters of [A-Za-z0-9_]),
// which the host exports with its metrics as roadrunner_guest_counter_total{function, name}. At
// most 32 names per instance (NoMemory); a bad name is Invalid.
func Count(name string, value uint32) error {
	// SAFETY: the host only reads [name, +len(name)) of linear memory during the call.
	return Status(addCounter(unsafe.Pointer(unsafe.StringData(name)), uint32(len(name)), value)).err()
}

//go:wasmimport roadrunner span_event
//go:noescape
func spanEvent(name unsafe.Pointer, n uint32) uint32

// Event records the event name (Count's rule for names) in the span the function runs in: its
// handler run's, or its command's. The host exports it when it traces (up --traces) and drops it
// otherwise, with the same result: Invalid for a bad name, NoMemory past 32 events in one
// handler run or command run.
func Event(name string) error {
	// SAFETY: the host only reads [name, +len(name)) of linear memory during the call.
	return Status(spanEvent(unsafe.Pointer(unsafe.StringData(name)), uint32(len(name)))).err()
}
