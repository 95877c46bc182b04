// roadrunner-guest: reactor
//
// Forwards every payload to $RELAY_TO and replies with what that target replied, as
// tests/guests/relay.c.
package main

import (
	"os"

	"roadrunner.dev/guest"
)

func init() {
	to := os.Getenv("RELAY_TO")
	roadrunner.Handle(func(msg []byte, source string) error {
		var reply [64]byte
		n, err := roadrunner.Request(to, msg, reply[:])
		if err != nil {
			return err
		}
		return roadrunner.Reply(reply[:n])
	})
}

func main() {}
