package voip

import (
	"net"
	"strconv"
	"testing"
	"time"
)

func itoa(i int) string { return strconv.Itoa(i) }

// waitUntil polls cond; the deadline only bounds waiting, it asserts
// nothing about speed.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// echoRTP sends one RTP packet to start, then returns every packet it
// receives with its own marker byte, counting them.
func echoRTP(p *peer, marker byte) {
	n := &p.echoed
	buf := make([]byte, 1500)
	for {
		p.rtp.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		m, src, err := p.rtp.ReadFromUDP(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		n.Add(1)
		if m > 12 {
			buf[12] = marker
		}
		_, _ = p.rtp.WriteToUDP(buf[:m], src)
	}
}

func echoCount(p *peer) int64 { return p.echoed.Load() }
