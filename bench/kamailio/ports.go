package main

import (
	"fmt"
	"net"
	"slices"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// freePorts returns n distinct loopback ports, each free for TCP and UDP.
func freePorts(n int) ([]int, error) {
	var ports []int
	for len(ports) < n {
		p, err := rig.FreePort()
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// freeMediaBase returns a port p such that UDP ports p..p+3 are free on
// loopback and none of them is in taken (ports chosen but not bound yet):
// SIPp opens its media sockets on -mp and the ports above it even when,
// as here, no RTP is sent.
func freeMediaBase(taken []int) (int, error) {
	for range 50 {
		p, err := rig.FreePort()
		if err != nil {
			return 0, err
		}
		clash := slices.ContainsFunc(taken, func(t int) bool { return t >= p-3 && t <= p+3 })
		if !clash && p+3 <= 65535 && udpRangeFree(p, 4) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no 4 consecutive free UDP ports for SIPp's media")
}

func udpRangeFree(base, n int) bool {
	for p := base; p < base+n; p++ {
		u, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		u.Close()
	}
	return true
}
