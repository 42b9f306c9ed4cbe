package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// The minimal forwarder is the yardstick: what relaying costs in plain Go
// on this machine with the same shape as sipsim's relay, and nothing
// more. Per call it has two UDP sockets, one facing each peer, and per
// socket one goroutine that reads into a reused buffer and writes the
// datagram unchanged out of the other socket to the peer that socket
// latched onto (the source of its first packet: symmetric RTP, as
// sipsim does). No RTP parsing, no locks, no counters: anything sipsim
// does beyond this is its overhead.
//
// It runs as a child process (this program with --forwarder) so that its
// CPU time is its own in /proc. It reads commands on stdin: "add N" opens
// N calls and prints one line "PORT_A PORT_B" per call, then "ok". It exits
// when stdin closes.

type forwardSide struct {
	conn *net.UDPConn
	peer atomic.Pointer[netip.AddrPort]
}

func (s *forwardSide) forward(to *forwardSide) {
	buf := make([]byte, 2048)
	for {
		n, src, err := s.conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		if s.peer.Load() == nil {
			s.peer.Store(&src)
		}
		if p := to.peer.Load(); p != nil {
			_, _ = to.conn.WriteToUDPAddrPort(buf[:n], *p)
		}
	}
}

// runForwarder is the child's main.
func runForwarder(in io.Reader, out io.Writer) error {
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		arg, ok := strings.CutPrefix(sc.Text(), "add ")
		n, err := strconv.Atoi(arg)
		if !ok || err != nil {
			return fmt.Errorf("bad command %q", sc.Text())
		}
		for range n {
			var pair [2]*forwardSide
			for i := range pair {
				c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				if err != nil {
					return err
				}
				pair[i] = &forwardSide{conn: c}
			}
			go pair[0].forward(pair[1])
			go pair[1].forward(pair[0])
			fmt.Fprintf(w, "%d %d\n", pair[0].conn.LocalAddr().(*net.UDPAddr).Port, pair[1].conn.LocalAddr().(*net.UDPAddr).Port)
		}
		fmt.Fprintln(w, "ok")
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return sc.Err()
}

// forwarderMain runs the child and exits.
func forwarderMain() {
	if err := runForwarder(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/media forwarder:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
