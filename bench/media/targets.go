package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// target is a relay the same generator steps drive: the minimal
// forwarder or sipsim.
type target interface {
	name() string
	pid() int
	// rampTo brings the calls up to total, each streaming both ways.
	rampTo(ctx context.Context, total int) error
	stop()
}

// waitFlowing waits until every leg of calls calls has received an
// intact packet from the other leg through the relay.
func waitFlowing(ctx context.Context, g *generator, calls int, limit time.Duration) error {
	err := rig.WaitFor(ctx, limit, func() (bool, error) { return g.flowing.Load() >= int64(2*calls), nil })
	if err != nil {
		return fmt.Errorf("%d of %d legs receive media: %w", g.flowing.Load(), 2*calls, err)
	}
	return nil
}

// forwarderTarget is the minimal forwarder, told of calls directly: it
// has no SIP.
type forwarderTarget struct {
	proc  *forwarderProc
	gen   *generator
	calls int
}

func newForwarderTarget(gen *generator) (*forwarderTarget, error) {
	p, err := startForwarder()
	if err != nil {
		return nil, err
	}
	return &forwarderTarget{proc: p, gen: gen}, nil
}

func (f *forwarderTarget) name() string { return "forwarder" }
func (f *forwarderTarget) pid() int     { return f.proc.pid() }
func (f *forwarderTarget) stop()        { f.proc.stop() }

func (f *forwarderTarget) rampTo(ctx context.Context, total int) error {
	ports, err := f.proc.add(total - f.calls)
	if err != nil {
		return err
	}
	lo := netip.MustParseAddr("127.0.0.1")
	for _, p := range ports {
		a, err := f.gen.newLeg(f.gen.phone, netip.AddrPortFrom(lo, uint16(p[0])))
		if err != nil {
			return err
		}
		b, err := f.gen.newLeg(f.gen.trunk, netip.AddrPortFrom(lo, uint16(p[1])))
		if err != nil {
			return err
		}
		pair(a, b)
		a.sock.start(a)
		b.sock.start(b)
	}
	f.calls = total
	return waitFlowing(ctx, f.gen, total, 30*time.Second)
}

// sipsimTarget is sipsim serving phones and a carrier that are this
// program's SIP peers, its calls placed through its API.
type sipsimTarget struct {
	srv    *rig.Server
	phones *uas
	trunk  *uas
	dialer *dialer
	gen    *generator
	rate   int
	tmp    string
	// pprofAddr serves sipsim's profiler, or is "".
	pprofAddr string
}

// sipsimOptions is what the sipsim target needs from the command line.
type sipsimOptions struct {
	bin       string
	maxCalls  int
	callRate  int
	pprofAddr string
}

// rtpPorts is sipsim's relay range: below the kernel's ephemeral ports
// (32768 and up), where the generator's and the forwarder's sockets are,
// and wide enough for 2 ports per call.
const rtpPorts = "20000-31999"

// phoneSockets is how many SIP sockets the phones share: each registers a
// share of the phones, then answers the calls sipsim sends there.
const phoneSockets = 4

func newSipsimTarget(ctx context.Context, o sipsimOptions, gen *generator) (t *sipsimTarget, err error) {
	began := time.Now()
	t = &sipsimTarget{gen: gen, rate: o.callRate, pprofAddr: o.pprofAddr}
	defer func() {
		if err != nil {
			t.stop()
		}
	}()
	if t.tmp, err = os.MkdirTemp("", "sipsim-bench-media-"); err != nil {
		return nil, err
	}
	cfg := rig.ServerConfig{Bin: o.bin, DataDir: filepath.Join(t.tmp, "data")}
	if err := os.Mkdir(cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	tenants, phones, err := seed(ctx, cfg, o.maxCalls)
	if err != nil {
		return nil, err
	}
	trunkConn, err := listenUDP(0)
	if err != nil {
		return nil, err
	}
	t.trunk = newUAS([]*net.UDPConn{trunkConn}, gen.trunk, gen, newCallBook())
	cfg.Flags = []string{
		// Every phone registers from the same few loopback sockets, which
		// the per-source flood limit is there to stop.
		"--sip-request-rate", "-1",
		"--trunk", fmt.Sprintf("sip:%s", trunkConn.LocalAddr()),
		"--rtp-ports", rtpPorts,
	}
	if o.pprofAddr != "" {
		cfg.Flags = append(cfg.Flags, "--pprof-addr", o.pprofAddr)
	}
	if t.srv, err = rig.StartServer(ctx, cfg); err != nil {
		return nil, err
	}
	conns := make([]*net.UDPConn, 0, phoneSockets)
	pconns := make([]net.PacketConn, 0, phoneSockets)
	for range phoneSockets {
		c, err := listenUDP(0)
		if err != nil {
			closeConns(conns)
			return nil, err
		}
		conns, pconns = append(conns, c), append(pconns, c)
	}
	// The phones register from the sockets that then answer their calls:
	// the registrar sends a phone's calls where its REGISTER came from.
	if err := rig.RegisterAll(ctx, fmt.Sprintf("127.0.0.1:%d", t.srv.SIPPort), rig.Logins(phones), 500, pconns); err != nil {
		closeConns(conns)
		return nil, fmt.Errorf("registering %d phones: %w", len(phones), err)
	}
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Time{})
	}
	t.phones = newUAS(conns, gen.phone, gen, t.trunk.calls)
	t.dialer = newDialer(t.srv.URL(""), tenants, phones)
	fmt.Printf("sipsim    %d phones in %d accounts seeded and registered in %v\n", len(phones), len(tenants), time.Since(began).Round(100*time.Millisecond))
	return t, nil
}

func closeConns(conns []*net.UDPConn) {
	for _, c := range conns {
		c.Close()
	}
}

func (s *sipsimTarget) name() string { return "sipsim" }
func (s *sipsimTarget) pid() int     { return s.srv.PID() }

// rampLimit bounds one step's call setup: a relay that needs longer to
// add a step's calls has reached its limit, and the benchmark its time.
const rampLimit = 60 * time.Second

func (s *sipsimTarget) rampTo(ctx context.Context, total int) error {
	rampCtx, cancel := context.WithTimeoutCause(ctx, rampLimit, fmt.Errorf("calls not all set up and streaming within %v", rampLimit))
	defer cancel()
	err := s.dialer.placeUpTo(rampCtx, total, s.rate)
	if err == nil {
		err = waitFlowing(rampCtx, s.gen, total, rampLimit)
	}
	if ctx.Err() == nil && rampCtx.Err() != nil {
		err = fmt.Errorf("%w (%d of %d legs streaming)", context.Cause(rampCtx), s.gen.flowing.Load(), 2*total)
	}
	if err != nil {
		return fmt.Errorf("%w\nthe end of sipsim's log:\n%s", err, logTail(s.srv.LogPath, 5))
	}
	return nil
}

// logErrors counts the ERROR lines of a log and returns the first.
func logErrors(path string) (n int, first string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, ""
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.Contains(line, "level=ERROR") {
			if n == 0 {
				first = line
			}
			n++
		}
	}
	return n, first
}

// logTail returns the last n lines of a log file.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// stop stops the server, then the peers, and removes the data, saying
// first what errors sipsim logged.
func (s *sipsimTarget) stop() {
	if s.srv != nil {
		s.srv.Stop()
		if n, first := logErrors(s.srv.LogPath); n > 0 {
			fmt.Printf("sipsim    logged %d ERROR lines, the first: %s\n", n, first)
		}
	}
	if s.phones != nil {
		s.phones.close()
	}
	if s.trunk != nil {
		s.trunk.close()
	}
	if s.tmp != "" {
		os.RemoveAll(s.tmp)
	}
}

// ended is how many calls sipsim hung up (BYE to either leg): during the
// run, none should be.
func (s *sipsimTarget) ended() int64 {
	var n int64
	if s.phones != nil {
		n += s.phones.byes.Load()
	}
	if s.trunk != nil {
		n += s.trunk.byes.Load()
	}
	return n
}
