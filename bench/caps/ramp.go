package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// step is one fixed-rate, fixed-duration step of the ramp and what it
// measured.
type step struct {
	System   string
	Rate     int
	Attempts []*attempt
	Failed   int
	Why      string // the first failure, for the reader
	CPU      time.Duration
	// DBCPU is the CPU of PostgreSQL's processes over the same time
	// (--db postgres): the database's part of a call, which sipsim's own
	// CPU leaves out. SQLite runs inside sipsim: counted in CPU.
	DBCPU      time.Duration
	measuredDB bool
	// Datagrams the kernel dropped at the server's SIP socket and at the
	// two SIPp sockets during the step.
	ServerDrops, PeerDrops int

	API, ToInvite, PDD spread // filled from the wire traces after the ramp
}

// cpuPerCall is the server's CPU time per attempted call.
func (s *step) cpuPerCall() time.Duration {
	if len(s.Attempts) == 0 {
		return 0
	}
	return s.CPU / time.Duration(len(s.Attempts))
}

// offered is the rate the driver really sent at: calls over the time
// from the first POST to the last, with one interval for the last call.
// Below the step's rate, the load generator itself fell behind.
func (s *step) offered() float64 {
	var first, last time.Time
	n := 0
	for _, a := range s.Attempts {
		if a.Sent.IsZero() {
			continue
		}
		if first.IsZero() || a.Sent.Before(first) {
			first = a.Sent
		}
		if a.Sent.After(last) {
			last = a.Sent
		}
		n++
	}
	span := last.Sub(first) + time.Second/time.Duration(s.Rate)
	if n == 0 || span <= 0 {
		return 0
	}
	return float64(n) / span.Seconds()
}

func (s *step) String() string {
	line := fmt.Sprintf("%-7s %5d/s (sent %5.0f/s)  attempted %6d  failed %4d  API 201 %s  API->INVITE %s  PDD %s  CPU %s/call  UDP drops %d/%d",
		s.System, s.Rate, s.offered(), len(s.Attempts), s.Failed, s.API, s.ToInvite, s.PDD, ms(s.cpuPerCall()), s.ServerDrops, s.PeerDrops)
	if s.measuredDB && len(s.Attempts) > 0 {
		line += fmt.Sprintf("  PostgreSQL CPU %s/call", ms(s.DBCPU/time.Duration(len(s.Attempts))))
	}
	return line
}

// bench is one system under load with its own peers and driver.
type bench struct {
	sys    system
	dr     *driver
	pp     peers
	steps  []*step
	search *search
	// sippFailed is SIPp's cumulative failed-call count after the last
	// step.
	sippFailed int
}

// ramp runs each system's rate search to its end. The systems take turns,
// one step each, so that both see the same background load of a shared
// machine at nearly the same time.
func ramp(ctx context.Context, benches []*bench, o options) error {
	for {
		running := false
		for _, b := range benches {
			if b.search.done() {
				continue
			}
			running = true
			rate := b.search.next
			s, err := b.runStep(ctx, rate, o)
			if err != nil {
				return err
			}
			b.steps = append(b.steps, s)
			b.search.record(rate, s.Failed == 0)
			fmt.Fprintf(os.Stderr, "bench/caps: %s %d/s: %d attempted, %d failed %s\n", s.System, rate, len(s.Attempts), s.Failed, s.Why)
		}
		if !running {
			return nil
		}
	}
}

// runStep offers rate calls per second for the step duration. A failure
// is a POST not answered 201 in time, a call that did not end completed
// (read after the step, off the clock), or a call SIPp counts as failed.
func (b *bench) runStep(ctx context.Context, rate int, o options) (*step, error) {
	cpu0, err := rig.CPUTime(b.sys.PID())
	if err != nil {
		return nil, err
	}
	db0, err := dbCPU(o)
	if err != nil {
		return nil, err
	}
	server0, err1 := rig.UDPDrops(b.sys.SIPPort())
	peer0, err2 := rig.UDPDrops(b.pp.agents.Port, b.pp.carrier.Port)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	attempts, err := b.dr.step(ctx, b.sys.CallsURL(), rate, o.stepDuration)
	if err != nil {
		return nil, err
	}
	s := &step{System: b.sys.Name(), Rate: rate, Attempts: attempts}
	// The calls placed last end a hold time later; their CPU counts.
	if err := rig.Sleep(ctx, o.hold+time.Second); err != nil {
		return nil, err
	}
	cpu1, err := rig.CPUTime(b.sys.PID())
	if err != nil {
		return nil, err
	}
	s.CPU = cpu1 - cpu0
	db1, err := dbCPU(o)
	if err != nil {
		return nil, err
	}
	s.DBCPU, s.measuredDB = db1-db0, o.db == "postgres"
	server1, err1 := rig.UDPDrops(b.sys.SIPPort())
	peer1, err2 := rig.UDPDrops(b.pp.agents.Port, b.pp.carrier.Port)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	s.ServerDrops, s.PeerDrops = server1-server0, peer1-peer0
	// Carriers hang up after the hold, and a lost BYE is retransmitted for
	// a few seconds: a call still up 15 s later has failed.
	bad, err := b.sys.Settle(ctx, 15*time.Second)
	if err != nil {
		return nil, err
	}
	for _, a := range attempts {
		switch {
		case a.Err != nil:
			s.fail(a.Err.Error())
		case bad[a.ID] != "":
			s.fail(a.ID + " ended " + bad[a.ID])
		}
	}
	// SIPp writes its statistics every second.
	if err := rig.Sleep(ctx, 1200*time.Millisecond); err != nil {
		return nil, err
	}
	if !b.pp.agents.Alive() || !b.pp.carrier.Alive() {
		return nil, fmt.Errorf("a SIPp peer exited during the %d/s step against %s", rate, s.System)
	}
	sippFailed, err := b.pp.failedCalls()
	if err != nil {
		return nil, err
	}
	if n := sippFailed - b.sippFailed; n > 0 {
		s.Failed += n
		s.note(fmt.Sprintf("SIPp counted %d failed calls", n))
	}
	b.sippFailed = sippFailed
	return s, nil
}

func (s *step) fail(why string) {
	s.Failed++
	s.note(why)
}

func (s *step) note(why string) {
	if s.Why == "" {
		s.Why = "(first: " + why + ")"
	}
}

// measureWire fills each step's latencies: the API's 201 from the driver,
// the rest from the SIPp traces, read once the peers have stopped.
func measureWire(steps []*step, pp peers) error {
	agents, err := readWireTimes(pp.agents.messagesPath())
	if err != nil {
		return err
	}
	carrier, err := readWireTimes(pp.carrier.messagesPath())
	if err != nil {
		return err
	}
	for _, s := range steps {
		var api, toInvite, pdd []time.Duration
		for _, a := range s.Attempts {
			if a.ID == "" {
				continue
			}
			api = append(api, a.Answered.Sub(a.Sent))
			if in, ok := agents.InviteIn[a.ID]; ok {
				toInvite = append(toInvite, in.Sub(a.Sent))
			}
			ok200, ok1 := agents.OKOut[a.ID]
			trunk, ok2 := carrier.InviteIn[a.ID]
			if ok1 && ok2 {
				pdd = append(pdd, trunk.Sub(ok200))
			}
		}
		s.API, s.ToInvite, s.PDD = spreadOf(api), spreadOf(toInvite), spreadOf(pdd)
	}
	return nil
}

// best is the highest rate of a step with no failure, 0 if none.
func best(steps []*step) int {
	r := 0
	for _, s := range steps {
		if s.Failed == 0 {
			r = max(r, s.Rate)
		}
	}
	return r
}

// at is the step at rate, nil if the ramp did not reach it.
func at(steps []*step, rate int) *step {
	for _, s := range steps {
		if s.Rate == rate {
			return s
		}
	}
	return nil
}

// dbCPU is the CPU PostgreSQL's processes have used so far, with --db
// postgres; 0 with SQLite, which runs inside the server.
func dbCPU(o options) (time.Duration, error) {
	if o.db != "postgres" {
		return 0, nil
	}
	return rig.CommandCPUTime("postgres")
}

// cpuPerCallPassing is the CPU per call over every step with no failure:
// the server's, or with db PostgreSQL's.
func cpuPerCallPassing(steps []*step, db bool) time.Duration {
	var cpu time.Duration
	var n int
	for _, s := range steps {
		if s.Failed == 0 {
			if db {
				cpu += s.DBCPU
			} else {
				cpu += s.CPU
			}
			n += len(s.Attempts)
		}
	}
	if n == 0 {
		return 0
	}
	return cpu / time.Duration(n)
}
