package e2e

import (
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
)

// Ports are handed out from a band below Linux's ephemeral range
// (32768-60999), so that what the kernel gives other programs on port 0
// cannot take them between our check and the peer's bind. Each port is
// handed out once per test process; the start depends on the process id so
// that two test processes rarely probe the same ports.
const (
	portBandLow  = 21000
	portBandHigh = 32000
)

var ports = struct {
	sync.Mutex
	next int
}{next: portBandLow + (os.Getpid()%20)*500}

// freePorts reserves n consecutive loopback ports that are free for both
// UDP and TCP right now and returns the first.
func freePorts(t testing.TB, n int) int {
	t.Helper()
	ports.Lock()
	defer ports.Unlock()
	for tries := 0; tries < (portBandHigh-portBandLow)/n; tries++ {
		if ports.next+n > portBandHigh {
			ports.next = portBandLow
		}
		base := ports.next
		ports.next += n
		if portsFree(base, n) {
			return base
		}
	}
	t.Fatalf("no %d consecutive free loopback ports in %d-%d", n, portBandLow, portBandHigh)
	return 0
}

// freePort reserves one loopback port free for UDP and TCP.
func freePort(t testing.TB) int { return freePorts(t, 1) }

// sipPeerPort reserves a port for a SIP peer that may be baresip, and the
// next one: baresip listens for TLS on its port + 1, and fails to start
// if another test holds that port.
func sipPeerPort(t testing.TB) int { return freePorts(t, 2) }

func portsFree(base, n int) bool {
	for p := base; p < base+n; p++ {
		addr := fmt.Sprintf("127.0.0.1:%d", p)
		u, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return false
		}
		u.Close()
		l, err := net.Listen("tcp4", addr)
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}
