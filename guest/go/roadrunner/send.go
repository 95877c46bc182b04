package roadrunner

import (
	"strconv"
	"unsafe"
)

// The host's imports (abi.h). Pointer parameters are unsafe.Pointer so that the compiler keeps
// what they point to in linear memory and reads it back after the call (the host writes the
// reply and its length there).
//
//go:wasmimport roadrunner send
//go:noescape
func send(target unsafe.Pointer, targetLen uint32, buf unsafe.Pointer, n uint32,
	reply unsafe.Pointer, replyCap uint32, replyLenOut unsafe.Pointer) uint32

//go:wasmimport roadrunner reply
//go:noescape
func reply(buf unsafe.Pointer, n uint32) uint32

// The same imports with plain addresses, for RawSend and RawReply.
//
//go:wasmimport roadrunner send
func sendAddr(target, targetLen, buf, n, reply, replyCap, replyLenOut uint32) uint32

//go:wasmimport roadrunner reply
func replyAddr(buf, n uint32) uint32

// Send delivers payload to the function, group ("worker") or group member ("worker#3") named
// target and waits until its handler has returned. Any reply is discarded. It returns nil or a
// Status.
func Send(target string, payload []byte) error {
	_, err := Request(target, payload, nil)
	return err
}

// SendToMember sends payload to member k of the fan-out group named group ("group#k").
func SendToMember(group string, k int, payload []byte) error {
	return Send(group+"#"+strconv.Itoa(k), payload)
}

// Request sends payload to target and receives its reply into reply. n is the length the
// receiver replied with (0 if it did not reply); with ReplyTooLarge it is the full length of the
// reply that did not fit, so the caller can retry with a buffer that large. An empty reply
// buffer means no reply is wanted (a send to a group requires that).
func Request(target string, payload, reply []byte) (n int, err error) {
	var replyLen uint32
	// SAFETY: StringData and SliceData point at the string's and slices' first bytes, which are
	// in this module's linear memory, the address space the host reads and writes (wasm32
	// addresses fit uint32). The lengths passed with them are the string's and slices' own, so
	// the host touches only bytes they own. The host writes only [reply, +len(reply)) and the four
	// bytes of replyLen, all before send returns; Go's collector does not move objects, and the
	// arguments are live until the call returns. Over-long lengths do not fit uint32 only past
	// 4 GiB, which wasm32 memory cannot hold.
	st := Status(send(unsafe.Pointer(unsafe.StringData(target)), uint32(len(target)),
		unsafe.Pointer(unsafe.SliceData(payload)), uint32(len(payload)),
		unsafe.Pointer(unsafe.SliceData(reply)), uint32(len(reply)),
		unsafe.Pointer(&replyLen)))
	return int(replyLen), st.err()
}

// Reply sets the bytes the current sender receives as its reply. It is valid only inside a
// handler (NoReplyContext otherwise); ReplyTooLarge means the sender's buffer is too small.
func Reply(b []byte) error {
	// SAFETY: as in Request: the host only reads [b, +len(b)) of linear memory during the call.
	return Status(reply(unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)))).err()
}

// RawSend is the send import with plain linear-memory addresses, as rr_raw_send in the C SDK.
// The host checks every range (Fault); Send and Request are the safe forms.
func RawSend(target, targetLen, buf, n, reply, replyCap, replyLenOut uint32) Status {
	return Status(sendAddr(target, targetLen, buf, n, reply, replyCap, replyLenOut))
}

// RawReply is the reply import with a plain linear-memory address, as rr_raw_reply in C.
func RawReply(buf, n uint32) Status {
	return Status(replyAddr(buf, n))
}
