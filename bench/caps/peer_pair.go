package main

import (
	"strconv"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// peers are the two SIPp one system is measured with: the agents
// answering every agent INVITE, and the carrier on the trunk.
type peers struct{ agents, carrier *sipp }

func (p peers) failedCalls() (int, error) {
	a, err := p.agents.failedCalls()
	if err != nil {
		return 0, err
	}
	c, err := p.carrier.failedCalls()
	return a + c, err
}

// startPeers starts the agent and carrier SIPp.
func startPeers(dir string, o options, agentPort, carrierPort, agentMedia, carrierMedia int) (peers, error) {
	agents, err := startSIPp(dir, "agents", agentScenario, nil, agentPort, agentMedia)
	if err != nil {
		return peers{}, err
	}
	carrier, err := startSIPp(dir, "carrier", carrierScenario,
		map[string]string{"HoldMS": strconv.FormatInt(o.hold.Milliseconds(), 10)}, carrierPort, carrierMedia)
	if err != nil {
		agents.Stop()
		return peers{}, err
	}
	return peers{agents: agents, carrier: carrier}, nil
}

func (p peers) stop() {
	p.agents.Stop()
	p.carrier.Stop()
}

// peerPorts returns the agent and carrier SIPp's SIP ports and the first
// of each one's media ports.
func peerPorts() ([4]int, error) {
	var ports [4]int
	sip, err := rig.FreePorts(2)
	if err != nil {
		return ports, err
	}
	copy(ports[:], sip)
	for i := 2; i < 4; i++ {
		if ports[i], err = rig.FreeSIPpMediaPort(ports[:i]); err != nil {
			return ports, err
		}
	}
	return ports, nil
}
