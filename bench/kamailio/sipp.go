package main

import (
	_ "embed"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

var (
	//go:embed agent.xml
	agentScenario string
	//go:embed carrier.xml
	carrierScenario string
)

// scenarioSettings fill the SIPp scenarios.
type scenarioSettings struct {
	HoldMS int64 // how long the carrier keeps a call up before its BYE
}

// sipp is one SIPp peer.
type sipp struct{ *rig.SIPp }

// startSIPp runs scenario (a template filled with vars) as a UAS on
// 127.0.0.1:port. recvTimeout fails a call that waits longer than that for
// any message, so that a lost one shows up as a failure, not as a call
// that never ends.
func startSIPp(parent, name, scenario string, vars scenarioSettings, port, mediaPort int, recvTimeout time.Duration) (*sipp, error) {
	s, err := rig.StartSIPp(parent, name, scenario, vars, port, mediaPort,
		"-recv_timeout", strconv.FormatInt(recvTimeout.Milliseconds(), 10))
	if err != nil {
		return nil, err
	}
	return &sipp{s}, nil
}

// cpuTime is the CPU SIPp has used so far.
func (s *sipp) cpuTime() (time.Duration, error) {
	st, err := rig.ReadProcStat(s.PID())
	return st.CPU + st.ChildrenCPU, err
}

// callCounts are SIPp's cumulative counters of ended calls.
type callCounts struct {
	Successful, Failed int
}

func (c callCounts) minus(o callCounts) callCounts {
	return callCounts{c.Successful - o.Successful, c.Failed - o.Failed}
}

// counts reads SIPp's cumulative call counters.
func (s *sipp) counts() (callCounts, error) {
	n, err := s.Counters("SuccessfulCall(C)", "FailedCall(C)")
	if err != nil {
		return callCounts{}, err
	}
	return callCounts{Successful: n[0], Failed: n[1]}, nil
}

func (s *sipp) errorsTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "errors.log"))
	return tail(string(b), 1500)
}

var (
	// eventStamp starts each event in SIPp's errors.log (events are not
	// always on lines of their own): a date, a time, a Unix time.
	eventStamp = regexp.MustCompile(`\d{4}-\d\d-\d\d\t[\d:.]+\t[\d.]+: `)
	// callID is any Call-ID in an event, quoted or not.
	callID = regexp.MustCompile(`'?[^ ',']+@127\.0\.0\.1'?`)
)

// failureKinds counts the kinds of events in SIPp's errors.log (Call-IDs
// and the messages' text left out), most frequent first, as lines.
func (s *sipp) failureKinds(limit int) []string {
	b, err := os.ReadFile(filepath.Join(s.Dir, "errors.log"))
	if err != nil {
		return nil
	}
	text := string(b)
	counts := map[string]int{}
	stamps := eventStamp.FindAllStringIndex(text, -1)
	for i, at := range stamps {
		end := len(text)
		if i+1 < len(stamps) {
			end = stamps[i+1][0]
		}
		event, _, _ := strings.Cut(text[at[1]:end], "\n")
		if i := strings.Index(event, "received '"); i >= 0 {
			first, _, _ := strings.Cut(event[i+len("received '"):], " ")
			event = event[:i] + "received " + first
		}
		counts[callID.ReplaceAllString(event, "X")]++
	}
	kinds := slices.Collect(maps.Keys(counts))
	slices.SortFunc(kinds, func(a, b string) int { return counts[b] - counts[a] })
	var lines []string
	for _, k := range kinds[:min(limit, len(kinds))] {
		lines = append(lines, fmt.Sprintf("%6d  %s", counts[k], tail(k, 200)))
	}
	return lines
}
