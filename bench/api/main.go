// Command api measures how fast sipsim answers the API's two most read
// lists, GET /api/v2/phones and GET /api/v2/calls?limit=25, against a bare
// net/http handler serving the same bytes on the same machine, with the
// same client and concurrency (issue #7, benchmark 3). It prints one line
// per target and then the ratios, which are what to compare between runs:
// absolute numbers on a shared machine are noise.
//
//	go run ./bench/api --db sqlite
//	go run ./bench/api --db postgres   # on $SIPSIM_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432/test?sslmode=disable
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

type options struct {
	db          string
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	bin         string
	serveFlags  string
}

func main() {
	var o options
	var bareChild string
	flag.StringVar(&o.db, "db", "sqlite", "sqlite, or postgres (a fresh schema on $SIPSIM_TEST_POSTGRES, dropped afterwards)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measured time per target")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured load before each target's measured time")
	flag.IntVar(&o.concurrency, "concurrency", 32, "workers, each with its own keep-alive connection")
	flag.StringVar(&o.bin, "sipsim", "", "the sipsim binary to measure (default: build ./cmd/sipsim)")
	flag.StringVar(&o.serveFlags, "serve-flags", "", "extra `sipsim serve` flags, space-separated, e.g. \"--pprof-addr 127.0.0.1:6060\" to profile the server during the run")
	flag.StringVar(&bareChild, "bare-child", "", "internal: run as the bare handler serving the bodies in this directory")
	flag.Parse()
	if bareChild != "" {
		if err := serveBare(bareChild); err != nil {
			fmt.Fprintln(os.Stderr, "bench/api bare handler:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/api:", err)
		os.Exit(1)
	}
}

// pair is one API list and the bare path serving its bytes.
type pair struct {
	name, apiPath, barePath, bodyFile string
}

var pairs = []pair{
	{"phones", "/api/v2/phones", "/phones", "phones.json"},
	{"calls", "/api/v2/calls?limit=25", "/calls", "calls.json"},
}

// run does the whole benchmark; every process and schema it starts is
// stopped or dropped by the time it returns, Ctrl-C included.
func run(ctx context.Context, o options) error {
	if o.db != "sqlite" && o.db != "postgres" {
		return fmt.Errorf("--db must be sqlite or postgres, not %q", o.db)
	}
	tmp, err := os.MkdirTemp("", "sipsim-bench-api-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.bin == "" {
		if o.bin, err = rig.Build(ctx, tmp); err != nil {
			return err
		}
	}
	cfg := rig.ServerConfig{Bin: o.bin, DataDir: filepath.Join(tmp, "data")}
	if err := os.Mkdir(cfg.DataDir, 0o750); err != nil {
		return err
	}
	if o.db == "postgres" {
		url, drop, err := rig.NewSchema(ctx)
		if err != nil {
			return err
		}
		// Deferred first, so it runs after the server has stopped.
		defer func() {
			if err := drop(); err != nil {
				fmt.Fprintln(os.Stderr, "bench/api: drop schema:", err)
			}
		}()
		cfg.DBURL = url
	}
	if err := seed(ctx, cfg); err != nil {
		return err
	}
	token, err := rig.Admin(ctx, cfg, "token", "create", "--scopes", "phones.read,calls.read", "--name", "bench")
	if err != nil {
		return err
	}
	srv, err := rig.StartServer(ctx, rig.ServerConfig{Bin: cfg.Bin, DataDir: cfg.DataDir, DBURL: cfg.DBURL,
		Flags: strings.Fields(o.serveFlags)})
	if err != nil {
		return err
	}
	defer srv.Stop()

	bodies := filepath.Join(tmp, "bodies")
	if err := os.Mkdir(bodies, 0o750); err != nil {
		return err
	}
	for _, p := range pairs {
		if err := saveBody(ctx, srv.URL(p.apiPath), token, filepath.Join(bodies, p.bodyFile)); err != nil {
			return err
		}
	}
	bare, err := startBare(ctx, bodies)
	if err != nil {
		return err
	}
	defer bare.stop()

	fmt.Printf("bench/api: %s, %d workers, %v per target after %v warm-up, %d cores; each server with its default GOMAXPROCS (bare: the cores, sipsim: one more)\n",
		o.db, o.concurrency, o.duration, o.warmup, numCPU())
	l := newLoader(o.concurrency, token)
	type measured struct{ api, bare result }
	got := map[string]measured{}
	for _, p := range pairs {
		var m measured
		// The bare handler first, then sipsim, for each list: the two
		// runs a ratio is taken from are as close in time as possible.
		if m.bare, err = l.run(ctx, target{"bare " + p.barePath, bare.URL(p.barePath)}, o.warmup, o.duration); err != nil {
			return err
		}
		fmt.Printf("%-8s bare net/http %-22s %s\n", o.db, p.barePath, m.bare)
		if m.api, err = l.run(ctx, target{"sipsim " + p.apiPath, srv.URL(p.apiPath)}, o.warmup, o.duration); err != nil {
			return err
		}
		fmt.Printf("%-8s sipsim GET %-25s %s\n", o.db, p.apiPath, m.api)
		got[p.name] = m
	}
	ph, ca := got["phones"], got["calls"]
	fmt.Printf("%-8s ratio sipsim/bare: throughput phones %.2f, calls %.2f; p99 phones %.1fx, calls %.1fx (target: throughput >= 0.50)\n",
		o.db, ph.api.RPS()/ph.bare.RPS(), ca.api.RPS()/ca.bare.RPS(),
		float64(ph.api.P99)/float64(ph.bare.P99), float64(ca.api.P99)/float64(ca.bare.P99))
	return nil
}

// saveBody fetches an API list once and writes its body to file: the bare
// handler serves these very bytes.
func saveBody(ctx context.Context, url, token, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New("GET " + url + ": " + resp.Status + ": " + string(body))
	}
	return os.WriteFile(file, body, 0o640)
}
