package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// stepResult is one target at one step: what the relay passed over the
// measured window, and what it cost.
type stepResult struct {
	target   string
	calls    int
	window   time.Duration
	streams  int
	rampTook time.Duration // placing the step's new calls until all streamed

	got, expected uint64 // packets, all streams
	sent          uint64 // packets the generator sent during the window
	silent        int    // streams of which nothing arrived
	jitterMean    float64
	jitterP99     float64 // ms, over the streams' mean jitter

	relayCPU, genCPU time.Duration
	machineBusy      time.Duration // all the machine's cores, every process
	softirq          time.Duration // the kernel's ksoftirqd threads
	rssPerCall       int64         // bytes: RSS growth since before the first call, per call

	corrupt, misrouted uint64 // packets that failed the checks in the window
}

func (r stepResult) lossPct() float64 {
	if r.expected == 0 {
		return 0
	}
	return 100 * float64(r.expected-min(r.got, r.expected)) / float64(r.expected)
}

func (r stepResult) pps() float64 { return float64(r.got) / r.window.Seconds() }

// perCPUSecond is packets relayed per second of the relay's CPU time.
func (r stepResult) perCPUSecond() float64 { return float64(r.got) / r.relayCPU.Seconds() }

// lossFree is the loss a step may show and still count as without loss:
// below one packet in 10,000 (0.01 %), which G.711 conceals inaudibly;
// one stray drop in a 10 s window of 2,000 calls must not decide it.
const lossFree = 0.01

// clean is a step without loss, every stream intact and the generator on
// time: a generator that fell behind offered the relay less than the
// step's load, so the step does not count as carried.
func (r stepResult) clean() bool {
	return r.lossPct() < lossFree && r.silent == 0 && r.corrupt == 0 && r.misrouted == 0 && r.sendRate() >= minSendRate
}

// minSendRate is the packets per second per stream below which the
// generator is behind (50 when on time).
const minSendRate = 49

// measure waits settle, then counts what arrives on every leg during
// window, with the relay's and the generator's CPU time over the same
// window and the relay's RSS at its end.
func measure(ctx context.Context, t target, g *generator, calls int, settle, window time.Duration, rssBase int64) (stepResult, error) {
	r := stepResult{target: t.name(), calls: calls}
	if err := rig.Sleep(ctx, settle); err != nil {
		return r, err
	}
	var legs []*leg
	for _, l := range g.reg.all() {
		if l.partner.Load() != nil && !l.stopped.Load() {
			legs = append(legs, l)
		}
	}
	r.streams = len(legs)
	corrupt0, misrouted0 := g.corrupt.Load(), g.misrouted.Load()
	relay0, err := rig.CPUTime(t.pid())
	if err != nil {
		return r, err
	}
	gen0, err := rig.CPUTime(os.Getpid())
	if err != nil {
		return r, err
	}
	busy0, err := machineBusy()
	if err != nil {
		return r, err
	}
	soft0 := softirqThreads()
	start := time.Now()
	for _, l := range legs {
		l.rx.openWindow(l.partner.Load().sent.Load())
	}
	if err := rig.Sleep(ctx, window); err != nil {
		return r, err
	}
	jitters := make([]float64, 0, len(legs))
	for _, l := range legs {
		w := l.rx.closeWindow(l.partner.Load().sent.Load())
		r.got += w.got
		r.expected += w.expected
		r.sent += w.sent
		if w.silent {
			r.silent++
		}
		if !math.IsNaN(w.jitterNs) {
			jitters = append(jitters, w.jitterNs/1e6)
		}
	}
	r.window = time.Since(start)
	relay1, err := rig.CPUTime(t.pid())
	if err != nil {
		return r, err
	}
	gen1, err := rig.CPUTime(os.Getpid())
	if err != nil {
		return r, err
	}
	busy1, err := machineBusy()
	if err != nil {
		return r, err
	}
	r.relayCPU, r.genCPU, r.machineBusy = relay1-relay0, gen1-gen0, busy1-busy0
	r.softirq = softirqThreads() - soft0
	r.corrupt, r.misrouted = g.corrupt.Load()-corrupt0, g.misrouted.Load()-misrouted0
	rss, err := rig.RSSBytes(t.pid())
	if err != nil {
		return r, err
	}
	r.rssPerCall = (rss - rssBase) / int64(calls)
	r.jitterMean, r.jitterP99 = meanP99(jitters)
	return r, nil
}

func meanP99(v []float64) (mean, p99 float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(v)
	var sum float64
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v)), v[min(len(v)-1, len(v)*99/100)]
}

// String is the step's table line.
func (r stepResult) String() string {
	return fmt.Sprintf("%-9s %5d calls: %6.1fk pkt/s relayed, loss %.3f%%%s, jitter mean %.3f ms p99 %.3f ms, relay CPU %3.0f%% (%.0fk pkt/CPU-s), %s, generator CPU %3.0f%%, ksoftirqd %2.0f%%, other processes %3.0f%%; ramp %.1fs",
		r.target, r.calls, r.pps()/1000, r.lossPct(), r.anomalies(), r.jitterMean, r.jitterP99,
		100*r.relayCPU.Seconds()/r.window.Seconds(), r.perCPUSecond()/1000, kbPerCall(r.rssPerCall),
		100*r.genCPU.Seconds()/r.window.Seconds(), 100*r.softirq.Seconds()/r.window.Seconds(), r.othersCPU(), r.rampTook.Seconds())
}

// sendRate is the packets sent per stream per second: 50 if the
// generator keeps time.
func (r stepResult) sendRate() float64 {
	return float64(r.sent) / float64(r.streams) / r.window.Seconds()
}

// othersCPU is the share of one core the machine spent outside the relay
// and the generator: other work on a shared machine.
func (r stepResult) othersCPU() float64 {
	// The three counters tick separately: a few percent below zero is
	// rounding.
	return max(0, 100*(r.machineBusy-r.relayCPU-r.genCPU-r.softirq).Seconds()/r.window.Seconds())
}

func (r stepResult) anomalies() string {
	s := ""
	if rate := r.sendRate(); rate < minSendRate {
		s += fmt.Sprintf(" (generator behind: %.1f pkt/s per stream)", rate)
	}
	if r.silent > 0 {
		s += fmt.Sprintf(" (%d silent streams)", r.silent)
	}
	if r.corrupt > 0 || r.misrouted > 0 {
		s += fmt.Sprintf(" (%d corrupt, %d misrouted packets)", r.corrupt, r.misrouted)
	}
	return s
}

func kbPerCall(b int64) string { return fmt.Sprintf("RSS %.1f KB/call", float64(b)/1024) }
