// Command regmem measures what a registered phone costs sipsim in memory
// (issue #7, benchmark 4): it seeds 10,000 phones, registers each once
// with SIPp, and prints the growth of the server's resident memory divided
// by the number of phones. The phones register from loopback with a small
// digest client of this program (register.go says why not SIPp).
//
//	go run ./bench/regmem
//
// The server runs with --sip-request-rate -1: every REGISTER comes from
// one address, which the default limit (200 requests/s per source) is
// there to stop.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

type options struct {
	phones int
	rate   int
	settle time.Duration
	bin    string
}

func main() {
	var o options
	flag.IntVar(&o.phones, "phones", 10000, "phones to register")
	flag.IntVar(&o.rate, "rate", 200, "REGISTER transactions started per second (each is two requests: challenged, then authenticated)")
	flag.DurationVar(&o.settle, "settle", 40*time.Second, "wait after the last registration before reading memory: SIP transactions linger 32 s (timer J)")
	flag.StringVar(&o.bin, "sipsim", "", "the sipsim binary to measure (default: build ./cmd/sipsim)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/regmem:", err)
		os.Exit(1)
	}
}

// run does the whole benchmark; every process it starts is stopped by the
// time it returns, Ctrl-C included.
func run(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "sipsim-bench-regmem-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.bin == "" {
		if o.bin, err = rig.Build(ctx, tmp); err != nil {
			return err
		}
	}
	cfg := rig.ServerConfig{Bin: o.bin, DataDir: filepath.Join(tmp, "data"),
		Flags: []string{"--sip-request-rate", "-1"},
		// The live Go heap after each collection, in the server's log.
		Env: []string{"GODEBUG=gctrace=1"}}
	if err := os.Mkdir(cfg.DataDir, 0o750); err != nil {
		return err
	}
	tenants, phones, err := seed(ctx, cfg, o.phones)
	if err != nil {
		return err
	}
	srv, err := rig.StartServer(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Stop()

	// The baseline: the server has listed every phone once (its database
	// pages are in memory as they will be after), and nothing is registered.
	if n, err := registeredPhones(ctx, srv.URL(""), tenants); err != nil || n != 0 {
		return fmt.Errorf("before registering: %d phones registered, err %v", n, err)
	}
	time.Sleep(2 * time.Second)
	before, err := rig.RSSBytes(srv.PID())
	if err != nil {
		return err
	}
	heapBefore, _, _ := lastLiveHeap(srv.LogPath)

	conns, err := loopbackSockets(registerWorkers)
	if err != nil {
		return err
	}
	defer closeAll(conns)
	start := time.Now()
	if err := rig.RegisterAll(ctx, fmt.Sprintf("127.0.0.1:%d", srv.SIPPort), rig.Logins(phones), o.rate, conns); err != nil {
		return err
	}
	took := time.Since(start)
	if err := rig.WaitFor(ctx, 30*time.Second, func() (bool, error) {
		n, err := registeredPhones(ctx, srv.URL(""), tenants)
		return n == o.phones, err
	}); err != nil {
		return fmt.Errorf("waiting for %d phones to show registered: %w", o.phones, err)
	}
	peak, err := rig.RSSBytes(srv.PID())
	if err != nil {
		return err
	}
	// Settle while reading the lists now and then, as a dashboard would:
	// the garbage this makes keeps collections coming, so the last one
	// logged is recent.
	settleEnd := time.Now().Add(o.settle)
	for time.Now().Before(settleEnd) {
		if _, err := registeredPhones(ctx, srv.URL(""), tenants); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	after, err := rig.RSSBytes(srv.PID())
	if err != nil {
		return err
	}
	heapAfter, gcs, _ := lastLiveHeap(srv.LogPath)

	fmt.Printf("bench/regmem: %d phones in %d accounts registered in %v (%d REGISTER/s asked), sqlite\n",
		o.phones, len(tenants), took.Round(100*time.Millisecond), o.rate)
	fmt.Printf("server RSS: %.1f MiB before, %.1f MiB right after, %.1f MiB after %v; live Go heap at the last GC (#%d): %d MB before, %d MB after\n",
		mib(before), mib(peak), mib(after), o.settle, gcs, heapBefore, heapAfter)
	fmt.Printf("memory per registered phone: %d bytes (RSS delta / %d; %d bytes right after registering)\n",
		(after-before)/int64(o.phones), o.phones, (peak-before)/int64(o.phones))
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
