// Command caps measures sipsim's click-to-call rate (issue #7, benchmark
// 1): N phones registered, one SIPp answering every agent INVITE at once,
// one SIPp carrier answering on the trunk and hanging up after a short
// hold, and a load driver POSTing calls open-loop at a rising rate, RFC
// 7501 style: each step is a fixed rate for a fixed time, and the rate
// rises until a step has a failure. A minimal SIP forwarding node
// (minimal_node.go) with its own pair of SIPp, same scenarios, gets the
// same steps, taking turns with sipsim at each rate so that both see the
// same background load; it is the machine's ceiling, and sipsim's highest
// zero-failure rate is reported as a ratio of it.
//
//	go run ./bench/caps
//	go run ./bench/caps --db postgres   # on $SIPSIM_TEST_POSTGRES
//
// A failed call is a POST not answered 201 within --api-timeout, a call
// whose final status (read from the API after the step, off the clock)
// is not completed, or a call SIPp counts as failed. Latencies on the
// wire come from SIPp's message traces (-trace_msg, microsecond stamps),
// tied to the API request by the X-Sipsim-Call-Id header.
//
// The phones register with rig.RegisterAll from one socket on the agent
// SIPp's port, which then closes so that SIPp can take the port: SIPp
// 3.6.1 cannot fill injection-file fields inside [authentication].
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

type options struct {
	phones       int
	startRate    int
	resolution   float64
	stepDuration time.Duration
	maxRate      int
	hold         time.Duration
	pddRate      int
	apiTimeout   time.Duration
	db           string
	bin          string
	systems      string
	serveFlags   string
	serveEnv     string
	keep         bool
}

func main() {
	var o options
	var minimal bool
	var minimalAgent, minimalTrunk string
	flag.IntVar(&o.phones, "phones", 6300, "phones registered, 900 per account; with N phones at R calls/s a phone comes back every N/R s")
	flag.IntVar(&o.startRate, "start-rate", 100, "calls per second of the first step; the rate doubles while steps pass")
	flag.Float64Var(&o.resolution, "resolution", 0.1, "after a failure, bisect until the failing rate is within this fraction of the passing one")
	flag.DurationVar(&o.stepDuration, "step-duration", 5*time.Second, "how long each step offers its rate")
	flag.IntVar(&o.maxRate, "max-rate", 4000, "the highest rate tried")
	flag.DurationVar(&o.hold, "hold", time.Second, "talk time: the carrier hangs up this long after answering")
	flag.DurationVar(&o.apiTimeout, "api-timeout", 2*time.Second, "a POST not answered in this time is a failed call: a person who clicked is waiting")
	flag.IntVar(&o.pddRate, "pdd-rate", 200, "the step whose PDD p99 the summary quotes")
	flag.StringVar(&o.db, "db", "sqlite", "sqlite, or postgres (a fresh schema on $SIPSIM_TEST_POSTGRES, dropped afterwards)")
	flag.StringVar(&o.bin, "sipsim", "", "the sipsim binary to measure (default: build ./cmd/sipsim)")
	flag.StringVar(&o.systems, "systems", "both", "sipsim, minimal or both")
	flag.StringVar(&o.serveFlags, "serve-flags", "", "extra flags for sipsim serve, space-separated, e.g. \"--pprof-addr 127.0.0.1:6060\"")
	flag.StringVar(&o.serveEnv, "serve-env", "", "extra environment of sipsim serve, space-separated, e.g. \"GOGC=400 GODEBUG=gctrace=1\"")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (SIPp traces and errors, sipsim's log) and print its path")
	flag.BoolVar(&minimal, "minimal-node", false, "internal: run as the minimal forwarding node")
	flag.StringVar(&minimalAgent, "minimal-agent", "", "internal: the minimal node's agent address")
	flag.StringVar(&minimalTrunk, "minimal-trunk", "", "internal: the minimal node's carrier address")
	flag.Parse()
	if minimal {
		if err := serveMinimal(minimalAgent, minimalTrunk); err != nil {
			fmt.Fprintln(os.Stderr, "bench/caps minimal node:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/caps:", err)
		os.Exit(1)
	}
}

// run does the whole benchmark; every process, directory and schema it
// makes is gone by the time it returns, Ctrl-C included.
func run(ctx context.Context, o options) error {
	if err := o.check(); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "sipsim-bench-caps-")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep {
			fmt.Fprintln(os.Stderr, "bench/caps: kept", tmp)
			return
		}
		os.RemoveAll(tmp)
	}()
	fmt.Printf("bench/caps: %d phones, steps of %v from %d/s doubling up to %d/s then bisecting to %.0f%%, hold %v, %s; latencies p50/p99 on the wire (SIPp -trace_msg)\n",
		o.phones, o.stepDuration, o.startRate, o.maxRate, 100*o.resolution, o.hold, o.db)
	// Cleanups run last first: peers, then servers, then the schema.
	var cleanups []func()
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()
	var sipsimBench, minimalBench *bench
	var benches []*bench
	if o.systems != "minimal" {
		if sipsimBench, err = setupSipsim(ctx, tmp, o, &cleanups); err != nil {
			return err
		}
		benches = append(benches, sipsimBench)
	}
	if o.systems != "sipsim" {
		if minimalBench, err = setupMinimal(ctx, tmp, o, &cleanups); err != nil {
			return err
		}
		benches = append(benches, minimalBench)
	}
	if err := ramp(ctx, benches, o); err != nil {
		return err
	}
	for _, b := range benches {
		// SIPp writes out its whole trace when it stops.
		b.pp.stop()
		if err := measureWire(b.steps, b.pp); err != nil {
			return err
		}
		// In rate order: the search visits them out of order.
		for _, s := range slices.SortedFunc(slices.Values(b.steps), func(x, y *step) int { return x.Rate - y.Rate }) {
			fmt.Println(s)
		}
	}
	fmt.Println(summary(stepsOf(sipsimBench), stepsOf(minimalBench), o))
	return nil
}

func stepsOf(b *bench) []*step {
	if b == nil {
		return nil
	}
	return b.steps
}

func (o options) check() error {
	switch {
	case o.db != "sqlite" && o.db != "postgres":
		return fmt.Errorf("--db must be sqlite or postgres, not %q", o.db)
	case o.systems != "sipsim" && o.systems != "minimal" && o.systems != "both":
		return fmt.Errorf("--systems must be sipsim, minimal or both")
	case o.phones < 1 || o.startRate < 1 || o.maxRate < o.startRate || o.resolution <= 0:
		return fmt.Errorf("--phones, --start-rate and --resolution must be positive and --max-rate at least --start-rate")
	}
	// A phone comes back every phones/rate seconds; it must have hung up.
	if reuse := time.Duration(float64(o.phones) / float64(o.maxRate) * float64(time.Second)); reuse < o.hold+500*time.Millisecond {
		return fmt.Errorf("%d phones at %d/s come back every %v, before a %v call has ended: add phones or lower --max-rate",
			o.phones, o.maxRate, reuse, o.hold)
	}
	return nil
}

// summary is the one line to compare between runs.
func summary(sipsimSteps, minimalSteps []*step, o options) string {
	s, m := best(sipsimSteps), best(minimalSteps)
	line := fmt.Sprintf("bench/caps: sipsim %d calls/s with zero failures, minimal path %d calls/s", s, m)
	if s > 0 && m > 0 {
		line += fmt.Sprintf(": ratio %.2f", float64(s)/float64(m))
	}
	if s == o.maxRate || m == o.maxRate {
		line += fmt.Sprintf(" (--max-rate %d reached: a floor)", o.maxRate)
	}
	pdd := func(steps []*step) string {
		st := at(steps, o.pddRate)
		switch {
		case st == nil || st.PDD.N == 0:
		case st.Failed > 0:
			return strings.TrimSpace(ms(st.PDD.P99)) + " in a failed step"
		default:
			return strings.TrimSpace(ms(st.PDD.P99))
		}
		return "-"
	}
	line += fmt.Sprintf("; PDD p99 at %d/s %s (sipsim) vs %s (minimal)", o.pddRate, pdd(sipsimSteps), pdd(minimalSteps))
	sipsimCPU := strings.TrimSpace(ms(cpuPerCallPassing(sipsimSteps, false)))
	if o.db == "postgres" {
		sipsimCPU += " + " + strings.TrimSpace(ms(cpuPerCallPassing(sipsimSteps, true))) + " of PostgreSQL"
	}
	line += fmt.Sprintf("; CPU per call %s (sipsim) vs %s (minimal); targets >= 500/s, PDD p99 < 2 ms",
		sipsimCPU, strings.TrimSpace(ms(cpuPerCallPassing(minimalSteps, false))))
	return line
}
