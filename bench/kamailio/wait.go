package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// waitRPC waits until Kamailio answers JSON-RPC over HTTP: its workers
// are up.
func waitRPC(ctx context.Context, kam *kamailio, httpAddr string) error {
	b := newBridger(httpAddr, "", "", 1)
	err := rig.WaitFor(ctx, 15*time.Second, func() (bool, error) {
		if !kam.alive() {
			return false, fmt.Errorf("kamailio exited at start:\n%s", kam.logTail())
		}
		return b.call(ctx, "core.version") == nil, nil
	})
	if err != nil {
		return fmt.Errorf("kamailio JSON-RPC: %w\n%s", err, kam.logTail())
	}
	return nil
}

// waitStats waits until both SIPp peers have written statistics once:
// the first step's counts are taken from them.
func waitStats(ctx context.Context, g *setup) error {
	return rig.WaitFor(ctx, 5*time.Second, func() (bool, error) {
		if err := g.checkAlive(); err != nil {
			return false, err
		}
		_, errA := g.agent.counts()
		_, errC := g.carrier.counts()
		return errA == nil && errC == nil, nil
	})
}

// kamailioVersion is the version the kamailio binary reports.
func kamailioVersion() string {
	out, err := exec.Command("kamailio", "-v").Output()
	if err != nil {
		return "(version unknown)"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	fields := strings.Fields(first)
	if len(fields) < 3 {
		return strings.TrimSpace(first)
	}
	return fields[2]
}

// warmConnections opens the client's keep-alive connections before the
// first step, with concurrent cheap requests, so that the first step's
// latencies are not those of TCP handshakes.
func warmConnections(ctx context.Context, b *bridger) error {
	errs := make(chan error, rpcConnections)
	for range rpcConnections {
		go func() { errs <- b.call(ctx, "core.version") }()
	}
	var first error
	for range rpcConnections {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}
