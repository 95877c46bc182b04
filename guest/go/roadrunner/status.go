package roadrunner

// Status is the result of a send, a reply or a stream: the rr_status_t of abi.h.
//
// The numbers mirror guest/include/roadrunner/guest/abi.h; the host test
// GoGuestTest.StatusConstantsMatchTheAbiHeader compares every one of them (and its name) with
// the header, so a constant changed here without the header fails the build's tests.
type Status uint32

const (
	OK             Status = 0  // RR_OK: delivered; the handler returned 0
	UnknownTarget  Status = 1  // RR_EUNKNOWN_TARGET: no function of that name
	NotAllowed     Status = 2  // RR_ENOT_ALLOWED: the workflow does not declare that edge
	TooLarge       Status = 3  // RR_ETOO_LARGE: payload over the receiver's limit
	NoMemory       Status = 4  // RR_ENOMEM: the receiver's rr_alloc returned 0
	BadAlloc       Status = 5  // RR_EBAD_ALLOC: rr_alloc returned an unusable buffer
	ReceiverFailed Status = 6  // RR_ERECEIVER_FAILED: the receiver trapped
	HandlerError   Status = 7  // RR_EHANDLER: the receiver's handler returned an error
	Fault          Status = 8  // RR_EFAULT: a pointer or length outside the caller's memory
	ReplyTooLarge  Status = 9  // RR_EREPLY_TOO_LARGE: the reply did not fit
	NoReplyContext Status = 10 // RR_ENO_REPLY_CONTEXT: Reply called outside a handler
	Unavailable    Status = 11 // RR_EUNAVAILABLE: the receiver is unreachable or went away
	TimedOut       Status = 12 // RR_ETIMEDOUT: the receiver did not finish in time
	Proto          Status = 13 // RR_EPROTO: the transport broke its protocol
	Invalid        Status = 14 // RR_EINVAL: a malformed argument, e.g. an empty target name
	Exited         Status = 15 // RR_EEXITED: the receiver called proc_exit while serving
	NoStreams      Status = 16 // RR_ENO_STREAMS: the receiver takes no streams
	WouldBlock     Status = 17 // RR_EWOULDBLOCK: TryWrite: a receiver is busy; nothing was sent
)

// The names rr_status_name gives in the C SDK, indexed by status.
var statusNames = [...]string{
	OK:             "ok",
	UnknownTarget:  "unknown target",
	NotAllowed:     "target not declared",
	TooLarge:       "payload too large",
	NoMemory:       "receiver out of memory",
	BadAlloc:       "bad receiver buffer",
	ReceiverFailed: "receiver failed",
	HandlerError:   "handler error",
	Fault:          "bad pointer",
	ReplyTooLarge:  "reply too large",
	NoReplyContext: "no message to reply to",
	Unavailable:    "receiver unavailable",
	TimedOut:       "timed out",
	Proto:          "protocol error",
	Invalid:        "invalid argument",
	Exited:         "receiver exited",
	NoStreams:      "receiver takes no streams",
	WouldBlock:     "would block",
}

// String returns the status's short name, as rr_status_name does ("unknown target").
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown status"
}

// Error makes a Status an error; the SDK returns one only when it is not OK.
func (s Status) Error() string { return "roadrunner: " + s.String() }

// err turns OK into nil and any other status into an error.
func (s Status) err() error {
	if s == OK {
		return nil
	}
	return s
}
