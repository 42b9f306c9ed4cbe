package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sipsim/sipsim"
	"github.com/sipsim/sipsim/calls"
	"github.com/sipsim/sipsim/events"
	"github.com/sipsim/sipsim/httpapi"
	"github.com/sipsim/sipsim/internal/tuning"
	"github.com/sipsim/sipsim/sqlite"
	"github.com/sipsim/sipsim/voip"
	"github.com/sipsim/sipsim/voip/media"
)

// realm is the SIP digest realm of the default account.
const realm = "sipsim"

type serveConfig struct {
	httpAddr, sipAddr, dataDir, db      string
	trunk, trunkUser, trunkPass         string
	publicAddr, rtpPorts                string
	agentRing, targetRing, mediaTimeout time.Duration
	maxDuration, drainTimeout           time.Duration
	webhookRetryBase                    time.Duration
	webhookAllowNetworks                string
	digestAlgorithms                    string
	sipRequestRate                      float64
	sipRequestBurst                     int
	logLevel, logFormat                 string
	nodeName                            string
	nodeLease                           time.Duration
	pprofAddr, metricsAddr              string
	heapFloorMiB, sqliteWriterNice      int
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	var c serveConfig
	fs := newFlagSet("sipsim serve", stderr)
	fs.StringVar(&c.httpAddr, "http-addr", "127.0.0.1:8080", "HTTP API listen address")
	fs.StringVar(&c.sipAddr, "sip-addr", "0.0.0.0:5060", "SIP listen address (UDP and TCP)")
	fs.StringVar(&c.dataDir, "data-dir", "./sipsim-data", "data directory (SQLite database unless --db names another, recordings/)")
	fs.StringVar(&c.db, "db", "", dbFlagHelp)
	fs.StringVar(&c.trunk, "trunk", "", "carrier SIP URI the targets are dialled through, e.g. sip:127.0.0.1:5090")
	fs.StringVar(&c.trunkUser, "trunk-username", "", "digest user name if the carrier challenges")
	fs.StringVar(&c.trunkPass, "trunk-password", "", "digest password if the carrier challenges")
	fs.StringVar(&c.publicAddr, "public-addr", "", "IP address put in Via, Contact and SDP (default: the SIP listen IP, or this host's first non-loopback IPv4)")
	fs.StringVar(&c.rtpPorts, "rtp-ports", "10000-20000", "UDP port range for RTP, MIN-MAX")
	fs.DurationVar(&c.agentRing, "agent-ring-timeout", 30*time.Second, "how long the employee's phone rings")
	fs.DurationVar(&c.targetRing, "target-ring-timeout", 60*time.Second, "how long the target rings")
	fs.DurationVar(&c.mediaTimeout, "media-timeout", 30*time.Second, "end a call when a side sends no audio for this long")
	fs.DurationVar(&c.maxDuration, "max-call-duration", 4*time.Hour, "end calls longer than this")
	fs.DurationVar(&c.drainTimeout, "drain-timeout", 30*time.Second, "on SIGTERM, how long calls in progress may go on before they are hung up")
	fs.DurationVar(&c.webhookRetryBase, "webhook-retry-base", 5*time.Second, "first webhook retry delay; it doubles per attempt up to 1 h, for 25 h")
	fs.StringVar(&c.webhookAllowNetworks, "webhook-allow-networks", "", "comma-separated CIDRs webhooks may be delivered to besides public addresses, e.g. 10.20.0.0/16 for receivers on the company network")
	fs.StringVar(&c.digestAlgorithms, "sip-digest-algorithms", "MD5", "digest algorithms offered to phones, most preferred first: MD5, SHA-256 or both (e.g. SHA-256,MD5 for phones that follow RFC 8760); answers in others are refused")
	fs.Float64Var(&c.sipRequestRate, "sip-request-rate", 200, "SIP requests per second one source IP (an IPv6 /64) may send before the rest are dropped unanswered; the trunk is exempt; negative: no limit")
	fs.IntVar(&c.sipRequestBurst, "sip-request-burst", 400, "SIP requests one source may send at once above --sip-request-rate")
	fs.StringVar(&c.nodeName, "node-name", "", "this node's name in logs (default: the host name)")
	fs.DurationVar(&c.nodeLease, "node-lease", 15*time.Second, "on PostgreSQL, how long a node may miss heartbeats before the others close its calls as node_lost")
	fs.StringVar(&c.pprofAddr, "pprof-addr", "", "serve Go's profiler (/debug/pprof/) at this address, e.g. 127.0.0.1:6060; off by default, keep it on loopback")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve Prometheus metrics (GET /metrics) at this address, e.g. 127.0.0.1:9090 or a private interface; off by default")
	fs.IntVar(&c.heapFloorMiB, "heap-floor-mib", 512, "let the Go heap grow to this many MiB (at most a quarter of the memory) before collecting, where Go's default would collect sooner: fewer collections, a shorter post-dial delay tail; 0 for Go's default (as is GOGC in the environment)")
	fs.IntVar(&c.sqliteWriterNice, "sqlite-writer-nice", tuning.DefaultBackgroundNice, "run the SQLite writer on a thread this many steps of nice below the rest (Linux; 0 to 19): a SIP answer then gets a busy core before it, a shorter post-dial delay tail, at the price of slower writes when the cores are busy; 0 for the same priority as the rest")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "text", "text or json")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	log, err := newLogger(stderr, c.logLevel, c.logFormat)
	if err != nil {
		return usageError{err.Error()}
	}
	if c.heapFloorMiB < 0 {
		return usageError{"--heap-floor-mib must not be negative"}
	}
	if c.sqliteWriterNice < 0 || c.sqliteWriterNice > tuning.MaxNice {
		return usageError{fmt.Sprintf("--sqlite-writer-nice must be 0 to %d", tuning.MaxNice)}
	}
	defer tuneRuntime(c.heapFloorMiB, getenv, log)()
	if err := serve(ctx, c, log); err != nil {
		log.Error("sipsim stopped", "err", err)
		return err
	}
	return nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json")
}

func serve(ctx context.Context, c serveConfig, log *slog.Logger) error {
	now := func() time.Time { return time.Now().UTC() }
	sipHost, _, err := net.SplitHostPort(c.sipAddr)
	if err != nil {
		return usageError{fmt.Sprintf("--sip-addr %q: %v", c.sipAddr, err)}
	}
	publicAddr := c.publicAddr
	if publicAddr == "" {
		publicAddr = guessPublicAddr(sipHost)
	}
	rtpMin, rtpMax, err := parsePortRange(c.rtpPorts)
	if err != nil {
		return usageError{err.Error()}
	}
	bindIP, err := netip.ParseAddr(sipHost)
	if err != nil {
		bindIP = netip.IPv4Unspecified()
	}
	alloc, err := media.NewAllocator(bindIP, rtpMin, rtpMax)
	if err != nil {
		return usageError{fmt.Sprintf("--rtp-ports: %v", err)}
	}
	if c.nodeLease < time.Second {
		return usageError{"--node-lease must be at least 1s"}
	}
	if c.sipRequestRate == 0 || c.sipRequestBurst < 0 {
		return usageError{"--sip-request-rate must be positive (negative: no limit) and --sip-request-burst not negative"}
	}
	webhookNetworks, err := parseNetworks(c.webhookAllowNetworks)
	if err != nil {
		return usageError{err.Error()}
	}
	if len(webhookNetworks) > 0 {
		log.Info("webhooks may be delivered to these networks besides public addresses", "networks", webhookNetworks)
	}

	backend, location := describeStore(c.db, c.dataDir)
	attrs := []any{"backend", backend, "db", location}
	if backend == "sqlite" {
		attrs = append(attrs, "writer_nice", c.sqliteWriterNice)
	}
	log.Info("opening the database", attrs...)
	db, err := openStore(ctx, c.db, c.dataDir, now, sqlite.WriterNice(c.sqliteWriterNice))
	if err != nil {
		return err
	}
	defer db.Close()

	node := newNode(c.nodeName, publicAddr, c.sipAddr, now())
	recs := recordingStore(db, c.dataDir)
	sipCtx, stopSIP := context.WithCancel(context.Background())
	defer stopSIP()
	engine, err := voip.New(voip.Config{
		Logger: log.With("component", "sip"), Now: now,
		SIPAddr: c.sipAddr, PublicAddr: publicAddr, Realm: realm, AccountID: sipsim.DefaultAccountID,
		Trunk: c.trunk, TrunkUsername: c.trunkUser, TrunkPassword: c.trunkPass,
		Media: alloc, Phones: db, Registrations: db, Accounts: db, MediaTimeout: c.mediaTimeout,
		Recordings: recs, DigestAlgorithms: strings.Split(c.digestAlgorithms, ","),
		SourceRequestRate: c.sipRequestRate, SourceRequestBurst: c.sipRequestBurst, NodeID: node.ID,
	})
	if err != nil {
		return usageError{err.Error()}
	}
	stats := newNodeMetrics(c.metricsAddr, log.With("component", "metrics"))
	bus := events.NewBus(256)
	defer startEventRelay(db, bus, log.With("component", "events"))()
	svc := calls.New(calls.Config{
		Logger: log.With("component", "calls"), Now: now,
		Phones: db, Registrations: db, Calls: db, Accounts: db, Telephony: engine, Bus: bus, Recordings: recs, AudioFiles: db,
		AgentRingTimeout: c.agentRing, TargetRingTimeout: c.targetRing, MaxDuration: c.maxDuration,
		Node: node, Nodes: clusterStore(db), Lease: c.nodeLease, CallEnded: stats.callEnded,
	})
	stats.registerReaders(svc, engine, alloc, db, node.ID, now)
	if err := svc.Recover(ctx); err != nil {
		return fmt.Errorf("recover calls: %w", err)
	}
	stopCluster, err := startCluster(ctx, db, svc, node, c.nodeLease, log.With("component", "cluster"))
	if err != nil {
		return fmt.Errorf("join the cluster: %w", err)
	}
	defer stopCluster()
	engine.SetHandsetRouter(svc)
	if c.trunk == "" {
		log.Warn("no --trunk configured: calls will fail once the employee answers")
	}

	stopPprof, err := startPprof(c.pprofAddr, log)
	if err != nil {
		return usageError{err.Error()}
	}
	defer stopPprof()
	stopMetrics, err := stats.start(c.metricsAddr, log)
	if err != nil {
		return usageError{err.Error()}
	}
	defer stopMetrics()
	ln, err := net.Listen("tcp", c.httpAddr)
	if err != nil {
		return fmt.Errorf("http listen: %w", err)
	}
	if err := engine.Listen(sipCtx); err != nil {
		ln.Close()
		return err
	}
	var stopping atomic.Bool
	handler := httpapi.NewServer(httpapi.Config{
		Logger: log.With("component", "http"), Now: now,
		Tokens: db, Accounts: db, Phones: db, Registrations: db, ListVersions: db, Calls: svc,
		Tags: db, Webhooks: db, Idempotency: db, Events: db, Bus: bus, NewWebhookSecret: events.NewSecret,
		AudioFiles: db, Recordings: svc, CheckWebhookAddress: events.NewAddressGuard(webhookNetworks).Check,
		Ready:          func() bool { return !stopping.Load() && engine.Ready() },
		ObserveRequest: stats.observeRequest,
	})
	dispatcher := events.NewDispatcher(events.DispatcherConfig{
		Store: db, Now: now, Logger: log.With("component", "webhooks"), RetryBase: c.webhookRetryBase, Bus: bus,
		AllowNetworks: webhookNetworks, Attempted: stats.attempted,
	})
	dispatchCtx, stopDispatch := context.WithCancel(context.Background())
	defer stopDispatch()
	dispatchDone := make(chan struct{})
	go func() {
		defer close(dispatchDone)
		if err := dispatcher.Run(dispatchCtx); err != nil && dispatchCtx.Err() == nil {
			log.Error("webhook dispatcher stopped", "err", err)
		}
	}()
	// Requests run under baseCtx, cancelled when shutdown starts: event
	// streams end at once (clients resume with Last-Event-ID) instead of
	// holding Shutdown until the drain timeout.
	baseCtx, endRequests := context.WithCancel(context.Background())
	defer endRequests()
	hs := &http.Server{
		Handler:           handler,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// No WriteTimeout: event streams and long downloads stay open as
		// long as the client reads. httpapi bounds each write instead: a
		// client that takes nothing for 30 s is dropped.
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- hs.Serve(ln) }()
	log.Info("sipsim serving", "http", ln.Addr().String(), "sip_port", engine.Port(), "public_addr", publicAddr, "trunk", c.trunk)

	select {
	case <-ctx.Done():
	case err := <-httpErr:
		return fmt.Errorf("http: %w", err)
	}
	log.Info("shutting down: new calls refused, calls in progress go on until the drain timeout", "drain_timeout", c.drainTimeout)
	stopping.Store(true)
	drainCtx, cancel := context.WithTimeout(context.Background(), c.drainTimeout)
	defer cancel()
	if err := svc.Shutdown(drainCtx); err != nil {
		log.Warn("calls still running at drain timeout", "err", err)
	}
	hs.RegisterOnShutdown(endRequests)
	// Calls are stored: what is left of HTTP (event streams end at once)
	// gets a few seconds of its own, whatever the drain used.
	httpCtx, cancelHTTP := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelHTTP()
	if err := hs.Shutdown(httpCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown", "err", err)
		hs.Close()
	}
	stopDispatch()
	<-dispatchDone
	stopSIP()
	log.Info("stopped")
	return nil
}

func parsePortRange(s string) (int, int, error) {
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || a < 1024 || b > 65535 || b-a < 3 {
		return 0, 0, fmt.Errorf("--rtp-ports %q: want MIN-MAX within 1024-65535 with room for at least two ports", s)
	}
	return a, b, nil
}

// parseNetworks reads --webhook-allow-networks: CIDRs separated by commas,
// blanks around them ignored.
func parseNetworks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for field := range strings.SplitSeq(s, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		p, err := netip.ParsePrefix(field)
		if err != nil {
			return nil, fmt.Errorf("--webhook-allow-networks: %q is not a CIDR such as 10.20.0.0/16 or fd00::/8", field)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// guessPublicAddr picks the address peers can reach us at when the operator
// did not say: the SIP listen IP if specific, else the first non-loopback
// IPv4 of this host.
func guessPublicAddr(sipHost string) string {
	if ip, err := netip.ParseAddr(sipHost); err == nil && !ip.IsUnspecified() {
		return ip.String()
	}
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
				return n.IP.String()
			}
		}
	}
	return "127.0.0.1"
}
