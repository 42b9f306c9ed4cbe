package main

import (
	"bufio"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

var (
	//go:embed agent_answer.xml
	agentScenario string
	//go:embed carrier_answer_hangup.xml
	carrierScenario string
)

// sipp is one SIPp peer of a system.
type sipp struct{ *rig.SIPp }

// startSIPp runs scenario (a template filled with vars) as a UAS on
// 127.0.0.1:port, tracing every message with its time (wire.go reads
// them).
func startSIPp(parent, name, scenario string, vars any, port, mediaPort int) (*sipp, error) {
	s, err := rig.StartSIPp(parent, name, scenario, vars, port, mediaPort, "-trace_msg", "-message_file", "messages.log")
	if err != nil {
		return nil, err
	}
	return &sipp{s}, nil
}

// failedCalls reads SIPp's cumulative failed-call counter from the last
// line of its statistics file.
func (s *sipp) failedCalls() (int, error) {
	f, err := os.Open(filepath.Join(s.Dir, "stat.csv"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var header, last string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		if header == "" {
			header = sc.Text()
		} else {
			last = sc.Text()
		}
	}
	if last == "" {
		return 0, fmt.Errorf("sipp %s: no statistics yet", s.Name)
	}
	col := -1
	for i, name := range strings.Split(header, ";") {
		if name == "FailedCall(C)" {
			col = i
		}
	}
	fields := strings.Split(last, ";")
	if col < 0 || col >= len(fields) {
		return 0, fmt.Errorf("sipp %s: no FailedCall(C) in stat.csv", s.Name)
	}
	return strconv.Atoi(fields[col])
}

func (s *sipp) messagesPath() string { return filepath.Join(s.Dir, "messages.log") }
