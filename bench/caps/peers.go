package main

import (
	_ "embed"
	"path/filepath"

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

// failedCalls reads SIPp's cumulative failed-call counter.
func (s *sipp) failedCalls() (int, error) {
	n, err := s.Counters("FailedCall(C)")
	if err != nil {
		return 0, err
	}
	return n[0], nil
}

func (s *sipp) messagesPath() string { return filepath.Join(s.Dir, "messages.log") }
