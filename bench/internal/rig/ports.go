package rig

import (
	"fmt"
	"net"
	"slices"
)

// FreePort returns a loopback port that is free for both TCP and UDP, as
// sipsim's SIP address needs (it listens on both). The kernel picks the
// TCP port; it is kept only if the same UDP port is free too.
func FreePort() (int, error) {
	for range 50 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err != nil {
			continue
		}
		u.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no loopback port free for both TCP and UDP")
}

// FreePortRange returns the first of n consecutive loopback UDP ports that
// are free now: sipsim's --rtp-ports, which no benchmark here uses but the
// server opens a range of.
func FreePortRange(n int) (int, error) {
	for base := 42000; base+n < 60000; base += n {
		if udpFree(base, n) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free UDP ports", n)
}

func udpFree(base, n int) bool {
	for p := base; p < base+n; p++ {
		u, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		u.Close()
	}
	return true
}

// FreePorts returns n distinct loopback ports, each free for TCP and UDP.
func FreePorts(n int) ([]int, error) {
	var ports []int
	for len(ports) < n {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// FreeSIPpMediaPort returns a port p such that UDP ports p..p+3 are free
// on loopback and none is within 4 of a port in taken (chosen, not bound
// yet): SIPp binds its -mp port and the three above it (RTP and RTCP,
// audio and video) even when it sends no media.
func FreeSIPpMediaPort(taken []int) (int, error) {
	const n = 4
	for range 100 {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		base := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		clash := slices.ContainsFunc(taken, func(t int) bool { return t > base-n && t < base+n })
		if !clash && base+n <= 65535 && udpFree(base, n) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free UDP ports for SIPp's media", n)
}
