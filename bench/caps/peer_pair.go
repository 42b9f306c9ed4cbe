package main

import (
	"fmt"
	"net"
	"slices"
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
// of each one's media ports. SIPp binds its -mp port and the next three
// (RTP and RTCP, audio and video) even when it sends no media, so each
// media port starts a run of four free ones.
func peerPorts() ([4]int, error) {
	var ports [4]int
	for i := range 2 {
		p, err := rig.FreePort()
		if err != nil {
			return ports, err
		}
		ports[i] = p
	}
	for i := 2; i < 4; i++ {
		p, err := freeUDPRun(4, ports[:i])
		if err != nil {
			return ports, err
		}
		ports[i] = p
	}
	return ports, nil
}

// freeUDPRun finds n consecutive free loopback UDP ports, none within n of
// a port in taken, starting where the kernel puts an ephemeral port.
func freeUDPRun(n int, taken []int) (int, error) {
	for range 100 {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		base := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if base+n > 65535 || slices.ContainsFunc(taken, func(t int) bool { return t >= base-n && t < base+n }) {
			continue
		}
		free := true
		for p := base; p < base+n && free; p++ {
			u, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				free = false
				continue
			}
			u.Close()
		}
		if free {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free UDP ports", n)
}
