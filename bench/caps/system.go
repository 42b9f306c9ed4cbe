package main

import (
	"context"
	"time"
)

// system is what the ramp drives: sipsim, or the minimal forwarding node
// that is the machine's ceiling.
type system interface {
	Name() string
	CallsURL() string // where click-to-calls are POSTed
	PID() int         // the process whose CPU is counted
	SIPPort() int     // its SIP socket, whose drops are counted
	// Settle waits until no call is up (at most limit), then returns the
	// ids of every call so far that did not end completed, including any
	// still up, with how it ended (or its status if it did not).
	Settle(ctx context.Context, limit time.Duration) (map[string]string, error)
}
