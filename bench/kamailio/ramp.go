package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// stepResult is what one step of the ramp measured.
type stepResult struct {
	Rate      int
	Attempts  int
	RPCFailed int
	Agent     callCounts // calls the phone SIPp ended in this step
	Carrier   callCounts // calls the carrier SIPp ended in this step
	P50, P99  time.Duration
	CPU       time.Duration // Kamailio's, workers included, step and settling
	AgentCPU  time.Duration // the agent SIPp's, to see when the load generator is the limit
	// Busy is the step's duration plus one hold: when the calls are up.
	// The CPU shares are taken over it, not over the settling, which
	// can be long after a failure.
	Busy  time.Duration
	Drops [3]int // UDP datagrams the kernel dropped: Kamailio, agent, carrier
}

// Failed counts a call as failed when its RPC failed, or when either SIPp
// did not complete it: failed it, or never saw it at all.
func (r stepResult) Failed() int {
	completed := min(r.Agent.Successful, r.Carrier.Successful)
	return max(r.Attempts-completed, r.RPCFailed)
}

// CPUPerCall is Kamailio's CPU time per click-to-call requested.
func (r stepResult) CPUPerCall() time.Duration {
	if r.Attempts == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Attempts)
}

func (r stepResult) String() string {
	return fmt.Sprintf("%5d calls/s: %6d calls, %5d failed (RPC %d; agent ok %d failed %d; carrier ok %d failed %d)  RPC p50 %s p99 %s  %.2f ms CPU/call, %3.0f%% of a core (agent SIPp %3.0f%%)%s",
		r.Rate, r.Attempts, r.Failed(), r.RPCFailed,
		r.Agent.Successful, r.Agent.Failed, r.Carrier.Successful, r.Carrier.Failed,
		ms(r.P50), ms(r.P99), float64(r.CPUPerCall().Microseconds())/1000,
		100*r.CPU.Seconds()/r.Busy.Seconds(), 100*r.AgentCPU.Seconds()/r.Busy.Seconds(), r.dropsText())
}

func (r stepResult) dropsText() string {
	if r.Drops == [3]int{} {
		return ""
	}
	return fmt.Sprintf("; UDP drops: Kamailio %d, agent %d, carrier %d", r.Drops[0], r.Drops[1], r.Drops[2])
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// setup is everything a step drives and reads.
type setup struct {
	udpPorts       [3]int // Kamailio's, the agent's, the carrier's
	kam            *kamailio
	agent, carrier *sipp
	bridger        *bridger
	settle         time.Duration // longest a call can still take after its RPC
	hold           time.Duration
}

// runStep places rate calls per second for d, waits until both SIPp peers
// have ended every call (or settle has passed: the rest count as failed)
// and returns what it measured.
func (g *setup) runStep(ctx context.Context, rate int, d time.Duration) (stepResult, error) {
	res := stepResult{Rate: rate, Busy: d + g.hold}
	agent0, err := g.agent.counts()
	if err != nil {
		return res, err
	}
	carrier0, err := g.carrier.counts()
	if err != nil {
		return res, err
	}
	cpu0, err := g.kam.cpuTime()
	if err != nil {
		return res, err
	}
	agentCPU0, err := g.agent.cpuTime()
	if err != nil {
		return res, err
	}
	drops0, err := g.drops()
	if err != nil {
		return res, err
	}
	attempts, err := g.bridger.step(ctx, rate, d)
	if err != nil {
		return res, err
	}
	res.Attempts = len(attempts)
	var latencies []time.Duration
	for _, a := range attempts {
		if a.Err != nil {
			res.RPCFailed++
			continue
		}
		latencies = append(latencies, a.Latency)
	}
	if len(latencies) > 0 {
		slices.Sort(latencies)
		res.P50 = latencies[len(latencies)*50/100]
		res.P99 = latencies[len(latencies)*99/100]
	}
	want := res.Attempts - res.RPCFailed
	deadline := time.Now().Add(g.settle)
	for {
		if err := g.checkAlive(); err != nil {
			return res, err
		}
		a, err := g.agent.counts()
		if err != nil {
			return res, err
		}
		c, err := g.carrier.counts()
		if err != nil {
			return res, err
		}
		res.Agent, res.Carrier = a.minus(agent0), c.minus(carrier0)
		done := res.Agent.Successful+res.Agent.Failed >= want && res.Carrier.Successful+res.Carrier.Failed >= want
		if done || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	cpu1, err := g.kam.cpuTime()
	if err != nil {
		return res, err
	}
	res.CPU = cpu1 - cpu0
	agentCPU1, err := g.agent.cpuTime()
	if err != nil {
		return res, err
	}
	res.AgentCPU = agentCPU1 - agentCPU0
	drops1, err := g.drops()
	if err != nil {
		return res, err
	}
	for i := range drops1 {
		res.Drops[i] = drops1[i] - drops0[i]
	}
	return res, nil
}

func (g *setup) drops() ([3]int, error) {
	var d [3]int
	for i, port := range g.udpPorts {
		n, err := rig.UDPDrops(port)
		if err != nil {
			return d, err
		}
		d[i] = n
	}
	return d, nil
}

// checkAlive fails the benchmark when a process of the setup has died:
// that is a broken setup, not a failed call.
func (g *setup) checkAlive() error {
	if !g.kam.alive() {
		return fmt.Errorf("kamailio exited:\n%s", g.kam.logTail())
	}
	for _, s := range []*sipp{g.agent, g.carrier} {
		if !s.Alive() {
			return fmt.Errorf("sipp %s exited:\n%s", s.Name, s.errorsTail())
		}
	}
	return nil
}
