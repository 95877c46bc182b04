// Provokes statuses through the Go SDK and checks each. Usage:
//
//	status_probe STEP=STATUS...
//
// STATUS is the number the step must return (the host test takes it from abi.h). STEP is one of
//
//	send:TARGET:SIZE               Send SIZE bytes
//	text:TARGET:WORD               Send the bytes of WORD ("TRAP", or an attack_receiver attack)
//	member:GROUP:K:SIZE            SendToMember(GROUP, K, SIZE bytes)
//	request:TARGET:SIZE:CAP:LEN    Request with a CAP-byte reply buffer; n must be LEN
//	ask:TARGET:WANT:CAP            ask a big_reply_receiver for WANT reply bytes into a CAP-byte
//	                               buffer; n must be WANT and, if the reply fit, every byte right
//	fault-name, fault-payload      RawSend with a name or payload past the end of memory
//	reply                          Reply outside a handler
//	empty:SIZE                     Send to the empty name
//	constant:NAME:NUMBER:TEXT      (no =STATUS) the SDK's constant NAME must be NUMBER and its
//	                               String() TEXT; NAME "-" is NUMBER past the last constant
//
// Prints one line per step; exits with the 1-based index of the first step that got another
// status (or whose error was not that Status), or 0. With constant steps, 99 if they did not
// name every constant of the SDK.
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"roadrunner.dev/guest"
)

// Every constant of the SDK, by its Go name, for constant steps.
var constants = []struct {
	name   string
	status roadrunner.Status
}{
	{"OK", roadrunner.OK},
	{"UnknownTarget", roadrunner.UnknownTarget},
	{"NotAllowed", roadrunner.NotAllowed},
	{"TooLarge", roadrunner.TooLarge},
	{"NoMemory", roadrunner.NoMemory},
	{"BadAlloc", roadrunner.BadAlloc},
	{"ReceiverFailed", roadrunner.ReceiverFailed},
	{"HandlerError", roadrunner.HandlerError},
	{"Fault", roadrunner.Fault},
	{"ReplyTooLarge", roadrunner.ReplyTooLarge},
	{"NoReplyContext", roadrunner.NoReplyContext},
	{"Unavailable", roadrunner.Unavailable},
	{"TimedOut", roadrunner.TimedOut},
	{"Proto", roadrunner.Proto},
	{"Invalid", roadrunner.Invalid},
	{"Exited", roadrunner.Exited},
	{"NoStreams", roadrunner.NoStreams},
	{"WouldBlock", roadrunner.WouldBlock},
}

func payload(size string) []byte {
	n, err := strconv.Atoi(size)
	if err != nil {
		panic("bad size " + size)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// status turns an SDK error into its Status; an error of another type is a mismatch (HandlerError
// is never right for it: report 1000).
func status(err error) roadrunner.Status {
	if err == nil {
		return roadrunner.OK
	}
	var st roadrunner.Status
	if !errors.As(err, &st) || st == roadrunner.OK {
		return 1000
	}
	return st
}

func run(step string) (roadrunner.Status, string) {
	f := strings.Split(step, ":")
	switch {
	case f[0] == "send" && len(f) == 3:
		return status(roadrunner.Send(f[1], payload(f[2]))), ""
	case f[0] == "text" && len(f) == 3:
		return status(roadrunner.Send(f[1], []byte(f[2]))), ""
	case f[0] == "member" && len(f) == 4:
		k, _ := strconv.Atoi(f[2])
		return status(roadrunner.SendToMember(f[1], k, payload(f[3]))), ""
	case f[0] == "request" && len(f) == 5:
		capacity, _ := strconv.Atoi(f[3])
		n, err := roadrunner.Request(f[1], payload(f[2]), make([]byte, capacity))
		if want, _ := strconv.Atoi(f[4]); n != want {
			return 1001, fmt.Sprintf("reply length %d, want %d", n, want)
		}
		return status(err), fmt.Sprintf("reply length %d", n)
	case f[0] == "ask" && len(f) == 4:
		want, _ := strconv.ParseUint(f[2], 10, 32)
		capacity, _ := strconv.Atoi(f[3])
		reply := make([]byte, capacity)
		n, err := roadrunner.Request(f[1], binary.LittleEndian.AppendUint32(nil, uint32(want)), reply)
		if uint64(n) != want {
			return 1001, fmt.Sprintf("reply length %d, want %d", n, want)
		}
		if err == nil {
			for i, b := range reply[:n] {
				if b != byte(i*7+1) {
					return 1002, fmt.Sprintf("reply byte %d is %d", i, b)
				}
			}
		}
		return status(err), fmt.Sprintf("reply length %d", n)
	case step == "fault-name":
		return roadrunner.RawSend(0xFFFFFFF0, 64, 0, 0, 0, 0, 0), ""
	case step == "fault-payload":
		return roadrunner.RawSend(0, 1, 0xFFFFFF00, 4096, 0, 0, 0), ""
	case step == "reply":
		return status(roadrunner.Reply([]byte("nobody asked"))), ""
	case f[0] == "empty" && len(f) == 2:
		return status(roadrunner.Send("", payload(f[1]))), ""
	}
	panic("bad step " + step)
}

// checkConstant checks one constant:NAME:NUMBER:TEXT step and records NAME as seen.
func checkConstant(spec string, seen map[string]bool) bool {
	f := strings.SplitN(spec, ":", 3)
	if len(f) != 3 {
		return false
	}
	number, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil {
		return false
	}
	if f[0] == "-" {
		st := roadrunner.Status(number)
		fmt.Printf("constant %d: %q\n", number, st.String())
		return st.String() == f[2]
	}
	for _, c := range constants {
		if c.name == f[0] {
			seen[c.name] = true
			fmt.Printf("constant %s: %d %q\n", c.name, uint32(c.status), c.status.String())
			return uint64(c.status) == number && c.status.String() == f[2]
		}
	}
	fmt.Printf("constant %s: not in the SDK\n", f[0])
	return false
}

func main() {
	seen := map[string]bool{}
	checkedConstants := false
	for i, arg := range os.Args[1:] {
		if spec, ok := strings.CutPrefix(arg, "constant:"); ok {
			checkedConstants = true
			if !checkConstant(spec, seen) {
				os.Exit(i + 1)
			}
			continue
		}
		step, wantText, ok := strings.Cut(arg, "=")
		want, err := strconv.Atoi(wantText)
		if !ok || err != nil {
			fmt.Println("bad argument", arg)
			os.Exit(64)
		}
		got, note := run(step)
		fmt.Printf("%s: %d %s %s\n", step, uint32(got), got.String(), note)
		if got != roadrunner.Status(want) {
			fmt.Printf("%s: want %d\n", step, want)
			os.Exit(i + 1)
		}
	}
	if checkedConstants && len(seen) != len(constants) {
		fmt.Printf("constants named: %d of %d\n", len(seen), len(constants))
		os.Exit(99)
	}
}
