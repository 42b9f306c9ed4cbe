package main

import (
	"fmt"
	"strings"
)

// summary is the benchmark's one-line verdict: how many calls each relay
// carried without loss, sipsim's packets per CPU-second against the
// forwarder's at the same load, and sipsim's memory per call.
func summary(sipsim, forwarder []stepResult) string {
	var b strings.Builder
	b.WriteString("bench/media: ")
	sOK, fOK := lastClean(sipsim), lastClean(forwarder)
	fmt.Fprintf(&b, "sipsim %s (forwarder %s)", cleanCalls(sipsim, sOK), cleanCalls(forwarder, fOK))
	// The ratio at the highest load both carried cleanly: packets per
	// CPU-second rise with load (fuller batches, fewer wake-ups), so
	// only the same step compares.
	s, f := sameStep(sipsim, forwarder)
	if s != nil {
		fmt.Fprintf(&b, "; at %d calls %.0fk pkt/CPU-s vs %.0fk: ratio %.2f; added jitter %+.3f ms mean, %+.3f ms p99",
			s.calls, s.perCPUSecond()/1000, f.perCPUSecond()/1000, s.perCPUSecond()/f.perCPUSecond(),
			s.jitterMean-f.jitterMean, s.jitterP99-f.jitterP99)
	}
	if sOK != nil {
		fmt.Fprintf(&b, "; %.0f KB per call", float64(sOK.rssPerCall)/1024)
	}
	fmt.Fprintf(&b, " (target: >= 2000 calls without loss, ratio >= 0.70)")
	if busiest := maxOthers(sipsim, forwarder); busiest > 25 {
		fmt.Fprintf(&b, "; other processes took up to %.0f%% of a core during the windows: a shared machine, expect noise", busiest)
	}
	return b.String()
}

// compareStep prints sipsim against the forwarder at one step, when both
// measured it.
func compareStep(cs []*contender, calls int) {
	var s, f *stepResult
	for _, c := range cs {
		if n := len(c.results); n > 0 && c.results[n-1].calls == calls {
			switch c.t.name() {
			case "sipsim":
				s = &c.results[n-1]
			case "forwarder":
				f = &c.results[n-1]
			}
		}
	}
	if s != nil && f != nil {
		fmt.Printf("%-9s %5d calls: sipsim/forwarder packets per CPU-second %.2f, added jitter %+.3f ms mean, %+.3f ms p99\n",
			"compare", calls, s.perCPUSecond()/f.perCPUSecond(), s.jitterMean-f.jitterMean, s.jitterP99-f.jitterP99)
	}
}

// lastClean is the last step before the first one with loss.
func lastClean(rs []stepResult) *stepResult {
	var last *stepResult
	for i := range rs {
		if !rs[i].clean() {
			break
		}
		last = &rs[i]
	}
	return last
}

func cleanCalls(rs []stepResult, r *stepResult) string {
	if len(rs) == 0 {
		return "not measured"
	}
	if r == nil {
		return "lost packets from the first step"
	}
	return fmt.Sprintf("%d calls without loss", r.calls)
}

// sameStep returns the results of the highest step both relays carried
// without loss, or else the highest step both measured.
func sameStep(sipsim, forwarder []stepResult) (s, f *stepResult) {
	byCalls := map[int]*stepResult{}
	for i := range forwarder {
		byCalls[forwarder[i].calls] = &forwarder[i]
	}
	var anyS, anyF *stepResult
	for i := range sipsim {
		fr, ok := byCalls[sipsim[i].calls]
		if !ok {
			continue
		}
		anyS, anyF = &sipsim[i], fr
		if sipsim[i].clean() && fr.clean() {
			s, f = &sipsim[i], fr
		}
	}
	if s == nil {
		return anyS, anyF
	}
	return s, f
}

func maxOthers(lists ...[]stepResult) float64 {
	var m float64
	for _, rs := range lists {
		for _, r := range rs {
			m = max(m, r.othersCPU())
		}
	}
	return m
}
