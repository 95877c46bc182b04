// Package roadrunner is the Go guest SDK of Roadrunner: a Wasm function built with Go 1.24 for
// GOOS=wasip1 sends bytes to other functions of its workflow (Send, Request, SendToMember),
// starts sends that it waits for later (SendAsync) or streams them (OpenStream) and, as a
// receiver, handles the messages sent to it (Handle, Reply) and, with package
// roadrunner.dev/guest/streams, the streams (streams.Handle).
//
// The contract is guest/include/roadrunner/guest/abi.h and docs/abi.md; docs/sdk-go.md shows
// how to build and run a Go function.
package roadrunner
