// Command media measures sipsim's RTP relay under many concurrent calls
// (issue #7, benchmark 2): long click-to-calls with 20 ms G.711 both ways,
// ramped up step by step, against a minimal UDP forwarder written for the
// benchmark, which is the physical limit of a relay on this machine.
//
//	go run ./bench/media
//	go run ./bench/media --steps 10 --step-duration 5s   # a quick check
//	go run ./bench/media --cpuprofile /tmp/sipsim.prof   # and where sipsim spends it
//
// This program plays every peer itself, over real SIP and RTP on
// loopback: the phones (registered with digest auth, answering sipsim's
// INVITEs), the carrier behind --trunk, and all the RTP streams, sent
// every 20 ms and checked on arrival (payload intact, right leg, right
// relay port), with loss counted from the sender's own packet counter and
// RFC 3550 jitter from the send time and the kernel's arrival time. The
// calls are placed through POST /api/v2/calls and stay up until the end.
//
// Both relays run side by side, each with calls up to the current step;
// at each step the forwarder is measured, then sipsim, and only the
// relay being measured has its streams running (the other's pause for
// less than sipsim's media timeout). Per step and relay it prints packets
// relayed per second, loss, jitter, the relay's CPU and packets per
// CPU-second, its memory per call, the generator's CPU, the kernel's
// ksoftirqd threads' and that of the machine's other processes; then
// sipsim against the forwarder; at the end one summary line. The relays, the generator and anything else on
// the machine share its cores: a step where the forwarder loses packets
// too is the generator's or the machine's limit, not the relay's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// maxPause bounds how long one relay's streams may pause while the
// other is measured: well under sipsim's default --media-timeout of 30 s.
const maxPause = 20 * time.Second

type options struct {
	steps      []int
	settle     time.Duration
	window     time.Duration
	sockets    int
	targets    string
	cpuProfile string
	sipsim     sipsimOptions
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--forwarder" {
		forwarderMain()
	}
	var o options
	var steps string
	flag.StringVar(&steps, "steps", "500,1000,1500,2000,2500", "concurrent calls at each step, increasing")
	flag.DurationVar(&o.window, "step-duration", 8*time.Second, "measured time per step")
	flag.DurationVar(&o.settle, "settle", 2*time.Second, "unmeasured time after a step's calls are all streaming")
	flag.IntVar(&o.sockets, "sockets", 4, "generator UDP sockets per side (phones, carrier)")
	flag.StringVar(&o.targets, "targets", "forwarder,sipsim", "relays to measure, in order")
	flag.StringVar(&o.sipsim.bin, "sipsim", "", "the sipsim binary to measure (default: build ./cmd/sipsim)")
	flag.IntVar(&o.sipsim.callRate, "call-rate", 100, "calls placed per second while ramping up")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write sipsim's CPU profile over the highest step's window to this file (served by its --pprof-addr)")
	flag.Parse()
	var err error
	if o.steps, err = parseSteps(steps); err != nil {
		fmt.Fprintln(os.Stderr, "bench/media:", err)
		os.Exit(2)
	}
	o.sipsim.maxCalls = o.steps[len(o.steps)-1]
	if o.settle+o.window > maxPause {
		// sipsim's streams pause while the forwarder is measured; sipsim
		// hangs up a call silent for --media-timeout (30 s).
		fmt.Fprintf(os.Stderr, "bench/media: --settle plus --step-duration must stay under %v\n", maxPause)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/media:", err)
		os.Exit(1)
	}
}

func parseSteps(s string) ([]int, error) {
	var steps []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 || (len(steps) > 0 && n <= steps[len(steps)-1]) {
			return nil, fmt.Errorf("--steps: %q is not a list of increasing call counts", s)
		}
		steps = append(steps, n)
	}
	return steps, nil
}

// run measures each target in turn; every process it starts is stopped by
// the time it returns, Ctrl-C included.
func run(ctx context.Context, o options) error {
	fmt.Printf("bench/media: steps %v calls, %v measured per step after %v settle, G.711 20 ms both ways, %d generator sockets per side\n",
		o.steps, o.window, o.settle, o.sockets)
	if err := checkFileLimit(o.sipsim.maxCalls); err != nil {
		return err
	}
	if strings.Contains(o.targets, "sipsim") && o.sipsim.bin == "" {
		// Built before anything runs, so that the compiler competes
		// with no measurement.
		tmp, err := os.MkdirTemp("", "sipsim-bench-media-bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if o.sipsim.bin, err = rig.Build(ctx, tmp); err != nil {
			return err
		}
	}
	var cs []*contender
	defer func() {
		for _, c := range cs {
			c.stop()
		}
	}()
	for name := range strings.SplitSeq(o.targets, ",") {
		c, err := newContender(ctx, o, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		cs = append(cs, c)
	}
	// Step by step, each relay in turn streams while the other's streams
	// pause: both see the same moment of a shared machine, and never
	// each other's load.
	for _, calls := range o.steps {
		for _, c := range cs {
			if c.failed != nil {
				continue
			}
			for _, other := range cs {
				other.gen.paused.Store(other != c)
			}
			err := c.step(ctx, o, calls)
			if errors.Is(err, context.Canceled) {
				return err
			}
			if err != nil {
				// A step the relay could not reach is a finding, not a failure.
				c.failed = err
				fmt.Printf("%-9s stopped ramping: %v\n", c.t.name(), err)
			}
		}
		compareStep(cs, calls)
	}
	results := map[string][]stepResult{}
	for _, c := range cs {
		results[c.t.name()] = c.results
		if s, ok := c.t.(*sipsimTarget); ok && s.ended() > 0 {
			fmt.Printf("sipsim    hung up %d call legs during the run (BYE received): calls must stay up\n", s.ended())
		}
		// Stopped before the summary: stopping may have its say.
		c.stop()
	}
	cs = nil
	if o.cpuProfile != "" && len(results["sipsim"]) > 0 {
		fmt.Printf("sipsim    CPU profile of its highest step: %s (go tool pprof -top %s)\n", o.cpuProfile, o.cpuProfile)
	}
	fmt.Println(summary(results["sipsim"], results["forwarder"]))
	return nil
}
